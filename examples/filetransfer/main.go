// Command filetransfer sends files between two STT nodes, each file on its
// own stream as a segment stream (package sttcore/segment) whose end marker
// proves that the whole file arrived.
//
//	filetransfer serve -listen :7000 -dir ./incoming [-seed-file F] [-key-file K]
//	filetransfer send -to host:7000 -peer PUBKEY [-seed-file F] [-key-file K] FILE...
//
// The server prints its public key when it starts; the sender names it with
// -peer. Key and seed files are created (mode 0600) when they do not exist.
// A shared seed file, copied to both sides, closes the server to every node
// that lacks it. README.md shows a run on one machine.
package main

import (
	"context"
	"crypto/hkdf"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/crypto/blake2s"

	"github.com/seigr/stt-tun/sttcore/stc"
	"github.com/seigr/stt-tun/sttcore/wire"
)

const usage = `filetransfer: send files between two STT nodes

Usage:
  filetransfer serve [-listen :7000] [-dir ./incoming] [-seed-file F] [-key-file K]
      receive files into -dir; prints the public key to give to senders
  filetransfer send -to HOST:PORT -peer PUBKEY [-seed-file F] [-key-file K] FILE...
      send each FILE on its own stream, several at once

Key and seed files are created (mode 0600) when they do not exist. Without
-seed-file the server accepts any node that knows its public key.
Run "filetransfer serve -h" or "filetransfer send -h" for every flag.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run runs the command line args and returns the exit code: 0 on success,
// 1 when a transfer or the server failed, 2 for a usage error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	out := &console{w: stdout}
	var err error
	switch args[0] {
	case "serve":
		err = cmdServe(ctx, args[1:], out, stderr)
	case "send":
		err = cmdSend(ctx, args[1:], out, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "filetransfer: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		if ue.msg != "" {
			fmt.Fprintf(stderr, "filetransfer %s: %s\n", args[0], ue.msg)
		}
		return 2
	default:
		fmt.Fprintf(stderr, "filetransfer %s: %v\n", args[0], err)
		return 1
	}
}

// usageError is a command line that cannot run; msg is empty when the flag
// package already said why.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// console serializes the lines that concurrent transfers print.
type console struct {
	mu sync.Mutex
	w  io.Writer
}

func (c *console) printf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.w, format, args...)
}

// loadKey reads the private key in path, or creates the file with a new key
// if it does not exist. An empty path gives a new key that is not saved.
func loadKey(path string, out *console) (stc.PrivateKey, error) {
	if path == "" {
		return stc.GeneratePrivateKey()
	}
	text, err := os.ReadFile(path)
	if err == nil {
		k, err := stc.ParsePrivateKey(strings.TrimSpace(string(text)))
		if err != nil {
			return stc.PrivateKey{}, fmt.Errorf("key file %s: %w", path, err)
		}
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return stc.PrivateKey{}, fmt.Errorf("key file: %w", err)
	}
	k, err := stc.GeneratePrivateKey()
	if err != nil {
		return stc.PrivateKey{}, err
	}
	if err := writeSecret(path, k.Encode()); err != nil {
		return stc.PrivateKey{}, err
	}
	out.printf("created key file %s\n", path)
	return k, nil
}

// loadSeed reads the network's shared seed in path, or creates the file with
// a new seed if it does not exist. An empty path means an open network.
func loadSeed(path string, out *console) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	text, err := os.ReadFile(path)
	if err == nil {
		seed, err := stc.ParseSharedSeed(strings.TrimSpace(string(text)))
		if err != nil {
			return nil, fmt.Errorf("seed file %s: %w", path, err)
		}
		return seed, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("seed file: %w", err)
	}
	seed, err := stc.GenerateSharedSeed()
	if err != nil {
		return nil, err
	}
	if err := writeSecret(path, stc.EncodeSharedSeed(seed)); err != nil {
		return nil, err
	}
	out.printf("created seed file %s: copy it to the other side\n", path)
	return seed, nil
}

// writeSecret creates path with mode 0600 and writes secret to it, refusing
// to replace a file.
func writeSecret(path, secret string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintln(f, secret); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}

// transferKey derives the key of one file's end marker. Both sides know
// every input: the network's shared seed (secret; empty on an open network,
// where the key only binds the transfer to the two nodes and the stream),
// both public keys and the stream ID. sttcore's packets already authenticate
// every byte; this key makes the end marker prove that the payload is the
// one meant for this stream between these two nodes.
func transferKey(seed []byte, sender, receiver stc.PublicKey, id wire.StreamID) []byte {
	salt := make([]byte, 0, 2*stc.KeySize)
	salt = append(append(salt, sender[:]...), receiver[:]...)
	var idb [8]byte
	binary.BigEndian.PutUint64(idb[:], uint64(id))
	newHash := func() hash.Hash {
		h, _ := blake2s.New256(nil) // cannot fail without a key
		return h
	}
	key, err := hkdf.Key(newHash, seed, salt, "stt-tun filetransfer v1 key "+string(idb[:]), blake2s.Size)
	if err != nil {
		// Only for a key longer than 255 hashes.
		panic("filetransfer: hkdf: " + err.Error())
	}
	return key
}
