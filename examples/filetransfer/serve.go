package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/seigr/stt-tun/sttcore"
	"github.com/seigr/stt-tun/sttcore/segment"
	"github.com/seigr/stt-tun/sttcore/stc"
)

// maxNameLen is the longest file name accepted (the usual file system limit).
const maxNameLen = 255

// Reply lines, sent back on the stream after the end marker (or a refusal).
const (
	replyOK    = "ok"
	replyError = "error: "
)

type server struct {
	node     *sttcore.Node
	seed     []byte
	dir      *os.Root
	maxSize  int64
	out      *console
	progress *progress
	wg       sync.WaitGroup
}

func cmdServe(ctx context.Context, args []string, out *console, stderr io.Writer) error {
	fset := flag.NewFlagSet("serve", flag.ContinueOnError)
	fset.SetOutput(stderr)
	listen := fset.String("listen", ":7000", "UDP address to listen on")
	dir := fset.String("dir", "./incoming", "directory for received files (created if missing)")
	seedFile := fset.String("seed-file", "", "the network's shared seed (created if missing); without it, any node may send")
	keyFile := fset.String("key-file", "server.key", "this node's private key (created if missing)")
	maxSize := fset.Int64("max-size", 0, "largest file accepted, in bytes (0: no limit)")
	every := fset.Duration("progress", time.Second, "interval between progress lines (0: none)")
	if err := fset.Parse(args); err != nil {
		return usageError{}
	}
	if fset.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected arguments %q", fset.Args())}
	}

	key, err := loadKey(*keyFile, out)
	if err != nil {
		return err
	}
	seed, err := loadSeed(*seedFile, out)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	root, err := os.OpenRoot(*dir)
	if err != nil {
		return err
	}
	defer root.Close()
	node, err := sttcore.Listen(*listen, &sttcore.Config{PrivateKey: key, SharedSeed: seed})
	if err != nil {
		return err
	}
	s := &server{node: node, seed: seed, dir: root, maxSize: *maxSize, out: out, progress: newProgress(out, *every)}
	pub := node.PublicKey()
	out.printf("listening on %s (UDP), saving into %s\n", node.LocalAddr(), *dir)
	out.printf("public key: %s\n", pub.String())
	if seed == nil {
		out.printf("open network: any node that knows the public key may send (use -seed-file to close it)\n")
	}
	out.printf("send with: filetransfer send -to HOST:%d -peer %s%s FILE...\n",
		node.LocalAddr().Port(), pub.String(), seedHint(*seedFile))

	for {
		sess, err := node.Accept(ctx)
		if err != nil {
			break
		}
		s.wg.Go(func() { s.serveSession(ctx, sess) })
	}
	// The context ended: closing the node ends every session and stream.
	err = node.Close()
	s.wg.Wait()
	s.progress.wait()
	out.printf("stopped\n")
	return err
}

func seedHint(seedFile string) string {
	if seedFile == "" {
		return ""
	}
	return " -seed-file " + seedFile
}

func (s *server) serveSession(ctx context.Context, sess *sttcore.Session) {
	for {
		st, err := sess.AcceptStream(ctx)
		if err != nil {
			return
		}
		s.wg.Go(func() { s.serveStream(sess, st) })
	}
}

// serveStream receives one file and answers with a reply line.
func (s *server) serveStream(sess *sttcore.Session, st *sttcore.Stream) {
	defer st.Close()
	from := sess.RemotePublicKey()
	name, t, sum, err := s.receive(from, st)
	if name == "" {
		name = "(unnamed)"
	}
	if err != nil {
		s.out.printf("refused %s from %s: %v\n", name, shortKey(from), err)
		_, _ = io.WriteString(st, replyError+oneLine(err.Error())+"\n")
		return
	}
	s.out.printf("received %s from %s: %s, hash verified (blake2s %x…)\n", name, shortKey(from), t.summary(), sum[:8])
	_, _ = io.WriteString(st, replyOK+"\n")
}

// receive stores the file sent on st. It returns the file's name as sent,
// the transfer's figures and verified sum, or why it failed.
func (s *server) receive(from stc.PublicKey, st *sttcore.Stream) (name string, t *transfer, sum [segment.SumSize]byte, err error) {
	key := transferKey(s.seed, from, s.node.PublicKey(), st.StreamID())
	dec, err := segment.NewDecoder(st, segment.Options{Key: key, MaxSize: s.maxSize})
	if err != nil {
		return "", nil, sum, err
	}
	h := dec.Header()
	if err := checkName(h.Name); err != nil {
		return h.Name, nil, sum, err
	}
	if _, err := s.dir.Lstat(h.Name); err == nil {
		return h.Name, nil, sum, fmt.Errorf("%s already exists in the receiving directory", h.Name)
	}

	// Write under a temporary name, and give the file its name only once
	// the end marker checked out.
	tmp := ".filetransfer-" + rand.Text() + ".partial"
	f, err := s.dir.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return h.Name, nil, sum, err
	}
	t = s.progress.begin(h.Name, h.Size)
	_, err = io.Copy(io.MultiWriter(f, t), dec)
	s.progress.end(t)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// Link refuses to replace a file that appeared meanwhile.
		err = s.dir.Link(tmp, h.Name)
	}
	_ = s.dir.Remove(tmp)
	if errors.Is(err, fs.ErrExist) {
		err = fmt.Errorf("%s already exists in the receiving directory", h.Name)
	}
	sum, _ = dec.Sum()
	return h.Name, t, sum, err
}

// checkName accepts only a plain file name: no directory part, no "." or
// "..", nothing empty, too long or with a NUL byte.
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("empty file name")
	case name == "." || name == "..":
		return fmt.Errorf("file name %q is not a file", name)
	case strings.ContainsAny(name, `/\`):
		return fmt.Errorf("file name %q has a directory part: only base names are accepted", name)
	case strings.ContainsRune(name, 0):
		return fmt.Errorf("file name %q contains a NUL byte", name)
	case len(name) > maxNameLen:
		return fmt.Errorf("file name of %d bytes, at most %d", len(name), maxNameLen)
	}
	return nil
}

func shortKey(k stc.PublicKey) string { return k.String()[:8] + "…" }

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }
