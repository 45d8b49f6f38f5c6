package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/seigr/stt-tun/sttcore"
	"github.com/seigr/stt-tun/sttcore/segment"
	"github.com/seigr/stt-tun/sttcore/stc"
)

// replyTimeout bounds the wait for the receiver's reply after a file.
const replyTimeout = 30 * time.Second

// errCodeAbort is the stream error code a sender gives up a file with.
const errCodeAbort = 1

type sender struct {
	node     *sttcore.Node
	sess     *sttcore.Session
	peer     stc.PublicKey
	seed     []byte
	chunk    int
	out      *console
	progress *progress
}

func cmdSend(ctx context.Context, args []string, out *console, stderr io.Writer) error {
	fset := flag.NewFlagSet("send", flag.ContinueOnError)
	fset.SetOutput(stderr)
	to := fset.String("to", "", "the server's address, HOST:PORT (required)")
	peerText := fset.String("peer", "", "the server's public key, as it printed it (required)")
	seedFile := fset.String("seed-file", "", "the network's shared seed, the server's seed file")
	keyFile := fset.String("key-file", "", "this node's private key (created if missing; default: a new key per run)")
	listen := fset.String("listen", ":0", "local UDP address")
	parallel := fset.Int("parallel", 4, "files sent at once")
	chunk := fset.Int("chunk", segment.DefaultChunkSize, "segment size in bytes")
	every := fset.Duration("progress", time.Second, "interval between progress lines (0: none)")
	if err := fset.Parse(args); err != nil {
		return usageError{}
	}
	switch {
	case *to == "":
		return usageError{"-to HOST:PORT is required"}
	case *peerText == "":
		return usageError{"-peer PUBKEY is required (the server prints it at start)"}
	case fset.NArg() == 0:
		return usageError{"no FILE to send"}
	case *parallel < 1:
		return usageError{"-parallel must be at least 1"}
	}
	peer, err := stc.ParsePublicKey(*peerText)
	if err != nil {
		return usageError{fmt.Sprintf("-peer: %v", err)}
	}
	key, err := loadKey(*keyFile, out)
	if err != nil {
		return err
	}
	seed, err := loadSeed(*seedFile, out)
	if err != nil {
		return err
	}
	node, err := sttcore.Listen(*listen, &sttcore.Config{PrivateKey: key, SharedSeed: seed})
	if err != nil {
		return err
	}
	defer node.Close()
	dialCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	sess, err := node.Dial(dialCtx, peer, *to)
	cancel()
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", *to, err)
	}
	out.printf("connected to %s (%s)\n", *to, shortKey(peer))

	s := &sender{node: node, sess: sess, peer: peer, seed: seed, chunk: *chunk, out: out, progress: newProgress(out, *every)}
	slots := make(chan struct{}, *parallel)
	errs := make(chan error, fset.NArg())
	for _, path := range fset.Args() {
		slots <- struct{}{}
		go func() {
			defer func() { <-slots }()
			err := s.sendFile(ctx, path)
			if err != nil {
				out.printf("FAILED %s: %v\n", path, err)
			}
			errs <- err
		}()
	}
	failed := 0
	for range fset.NArg() {
		if <-errs != nil {
			failed++
		}
	}
	s.progress.wait()
	if err := sess.Close(); err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files failed", failed, fset.NArg())
	}
	return nil
}

// sendFile sends one file on a stream of its own and waits for the
// receiver's verdict.
func (s *sender) sendFile(ctx context.Context, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("not a regular file")
	}
	name := filepath.Base(path)

	st, err := s.sess.OpenStream(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	key := transferKey(s.seed, s.node.PublicKey(), s.peer, st.StreamID())
	t := s.progress.begin(name, fi.Size())
	err = segment.Send(ctx, st, name, io.TeeReader(f, t), fi.Size(), segment.Options{Key: key, ChunkSize: s.chunk})
	s.progress.end(t)
	if err != nil {
		st.CancelWrite(errCodeAbort)
		// The receiver may have refused the file and said why.
		if reason := s.readReply(st, 5*time.Second); reason != nil && !errors.Is(reason, errNoReply) {
			return reason
		}
		return err
	}
	if err := st.CloseWrite(); err != nil {
		return err
	}
	if err := s.readReply(st, replyTimeout); err != nil {
		return err
	}
	s.out.printf("sent %s: %s, hash verified by the receiver\n", name, t.summary())
	return nil
}

var errNoReply = errors.New("no reply from the receiver")

// readReply reads the receiver's reply line: nil for "ok", the receiver's
// reason for a refusal.
func (s *sender) readReply(st *sttcore.Stream, timeout time.Duration) error {
	_ = st.SetReadDeadline(time.Now().Add(timeout))
	line, err := bufio.NewReader(io.LimitReader(st, 4096)).ReadString('\n')
	if err != nil && line == "" {
		return fmt.Errorf("%w: %v", errNoReply, err)
	}
	line = strings.TrimSuffix(line, "\n")
	switch {
	case line == replyOK:
		return nil
	case strings.HasPrefix(line, replyError):
		return fmt.Errorf("refused by the receiver: %s", strings.TrimPrefix(line, replyError))
	default:
		return fmt.Errorf("unexpected reply %q", line)
	}
}
