package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/seigr/stt-tun/sttcore"
	"github.com/seigr/stt-tun/sttcore/segment"
	"github.com/seigr/stt-tun/sttcore/stc"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// testServer runs "filetransfer serve" in-process until the test ends.
type testServer struct {
	addr, pub string
	dir       string // the receiving directory
	seedFile  string
	lines     chan string // the server's output, line by line
	stderr    *syncBuffer
}

func startServer(t *testing.T, extra ...string) *testServer {
	t.Helper()
	tmp := t.TempDir()
	s := &testServer{
		dir:      filepath.Join(tmp, "incoming"),
		seedFile: filepath.Join(tmp, "net.seed"),
		lines:    make(chan string, 100),
		stderr:   &syncBuffer{},
	}
	keyFile := filepath.Join(tmp, "server.key")
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	args := append([]string{"serve", "-listen", "127.0.0.1:0", "-dir", s.dir,
		"-key-file", keyFile, "-seed-file", s.seedFile, "-progress", "0"}, extra...)
	go func() {
		code := run(ctx, args, pw, s.stderr)
		pw.Close()
		done <- code
	}()
	go func() {
		defer close(s.lines)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			require.Equal(t, 0, code, "serve exit code; stderr: %s", s.stderr)
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
		for range s.lines { // drain to the end
		}
	})

	for s.addr == "" || s.pub == "" {
		line := s.nextLine(t)
		if a, ok := strings.CutPrefix(line, "listening on "); ok {
			s.addr, _, _ = strings.Cut(a, " ")
		}
		if p, ok := strings.CutPrefix(line, "public key: "); ok {
			s.pub = p
		}
	}
	for _, f := range []string{keyFile, s.seedFile} {
		fi, err := os.Stat(f)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "%s", f)
	}
	return s
}

func (s *testServer) nextLine(t *testing.T) string {
	t.Helper()
	select {
	case line, ok := <-s.lines:
		require.True(t, ok, "serve ended; stderr: %s", s.stderr)
		return line
	case <-time.After(20 * time.Second):
		t.Fatalf("no output from serve; stderr: %s", s.stderr)
		return ""
	}
}

// waitFor reads the server's output until each of wants has been in a line.
func (s *testServer) waitFor(t *testing.T, wants ...string) {
	t.Helper()
	left := map[string]bool{}
	for _, w := range wants {
		left[w] = true
	}
	for len(left) > 0 {
		line := s.nextLine(t)
		for w := range left {
			if strings.Contains(line, w) {
				delete(left, w)
			}
		}
	}
}

func (s *testServer) send(t *testing.T, files ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args := append([]string{"send", "-to", s.addr, "-peer", s.pub, "-seed-file", s.seedFile,
		"-parallel", "2", "-chunk", "16384", "-progress", "50ms"}, files...)
	code := run(ctx, args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, data, 0o644))
	return p
}

// TestServeAndSend runs serve and send in-process on loopback: the files
// arrive identical, each with a final line on both sides, and a file sent
// twice is refused the second time.
func TestServeAndSend(t *testing.T) {
	srv := startServer(t)
	src := t.TempDir()
	big := make([]byte, 3<<20+12345)
	_, _ = rand.NewChaCha8([32]byte{1}).Read(big)
	files := map[string][]byte{
		"video.bin": big,
		"notes.txt": []byte("a small text file\n"),
		"empty":     nil,
	}
	var paths, received []string
	for name, data := range files {
		received = append(received, "received "+name+" ")
		paths = append(paths, writeFile(t, src, name, data))
	}

	code, stdout, stderr := srv.send(t, paths...)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	for name, data := range files {
		got, err := os.ReadFile(filepath.Join(srv.dir, name))
		require.NoError(t, err)
		require.True(t, bytes.Equal(data, got), "%s differs", name)
		require.Contains(t, stdout, "sent "+name+": ", "final line for %s", name)
	}
	srv.waitFor(t, received...)
	require.Equal(t, len(files), strings.Count(stdout, "hash verified by the receiver"))
	entries, err := os.ReadDir(srv.dir)
	require.NoError(t, err)
	require.Len(t, entries, len(files), "no temporary files are left")

	code, stdout, _ = srv.send(t, paths[0])
	require.Equal(t, 1, code)
	require.Contains(t, stdout, "already exists")
	srv.waitFor(t, "refused")
}

// TestServerRefuses connects as a client of its own and sends what the
// server must not store: unsafe names, a payload under the wrong key, and
// one cut short. Nothing may appear in or beside the receiving directory.
func TestServerRefuses(t *testing.T) {
	srv := startServer(t)
	text, err := os.ReadFile(srv.seedFile)
	require.NoError(t, err)
	seed, err := stc.ParseSharedSeed(strings.TrimSpace(string(text)))
	require.NoError(t, err)
	key, err := stc.GeneratePrivateKey()
	require.NoError(t, err)
	node, err := sttcore.Listen("127.0.0.1:0", &sttcore.Config{PrivateKey: key, SharedSeed: seed})
	require.NoError(t, err)
	defer func() { require.NoError(t, node.Close()) }()
	peer, err := stc.ParsePublicKey(srv.pub)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sess, err := node.Dial(ctx, peer, srv.addr)
	require.NoError(t, err)

	payload := []byte("must not be stored")
	tests := []struct {
		name     string
		file     string
		wrongKey bool
		cut      bool
		want     string
	}{
		{"parent", "..", false, false, "not a file"},
		{"escape", "../escaped.txt", false, false, "directory part"},
		{"absolute", "/tmp/abs.txt", false, false, "directory part"},
		{"backslash", `..\escaped.txt`, false, false, "directory part"},
		{"empty", "", false, false, "empty file name"},
		{"dot", ".", false, false, "not a file"},
		{"NUL", "a\x00b", false, false, "NUL"},
		{"too long", strings.Repeat("n", maxNameLen+1), false, false, "at most"},
		{"wrong key", "wrongkey.txt", true, false, "does not match"},
		{"cut short", "cut.txt", false, true, "unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := sess.OpenStream(ctx)
			require.NoError(t, err)
			defer st.Close()
			k := transferKey(seed, node.PublicKey(), peer, st.StreamID())
			if tt.wrongKey {
				k = transferKey(seed, node.PublicKey(), peer, st.StreamID()+4)
			}
			var data bytes.Buffer
			require.NoError(t, segment.Send(ctx, &data, tt.file, bytes.NewReader(payload), int64(len(payload)), segment.Options{Key: k}))
			stream := data.Bytes()
			if tt.cut {
				stream = stream[:len(stream)-1]
			}
			_, err = st.Write(stream)
			require.NoError(t, err)
			require.NoError(t, st.CloseWrite())
			s := &sender{}
			err = s.readReply(st, 20*time.Second)
			require.ErrorContains(t, err, "refused by the receiver")
			require.ErrorContains(t, err, tt.want)
			srv.waitFor(t, "refused")
		})
	}
	entries, err := os.ReadDir(srv.dir)
	require.NoError(t, err)
	require.Empty(t, entries, "nothing stored, no temporary file left")
	parent, err := os.ReadDir(filepath.Dir(srv.dir))
	require.NoError(t, err)
	for _, e := range parent {
		require.Contains(t, []string{"incoming", "net.seed", "server.key"}, e.Name())
	}
}

func TestCheckName(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"file.txt", true},
		{".hidden", true},
		{"with space é.mp4", true},
		{"...", true},
		{"", false},
		{".", false},
		{"..", false},
		{"/", false},
		{"a/b", false},
		{"../x", false},
		{`a\b`, false},
		{"a\x00", false},
		{strings.Repeat("x", maxNameLen), true},
		{strings.Repeat("x", maxNameLen+1), false},
	}
	for _, tt := range tests {
		err := checkName(tt.name)
		require.Equal(t, tt.ok, err == nil, "%q: %v", tt.name, err)
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "Usage"},
		{[]string{"fly"}, 2, "unknown command"},
		{[]string{"send", "x"}, 2, "-to HOST:PORT is required"},
		{[]string{"send", "-to", "127.0.0.1:1"}, 2, "-peer PUBKEY is required"},
		{[]string{"send", "-to", "127.0.0.1:1", "-peer", "AAAA"}, 2, "no FILE"},
		{[]string{"send", "-to", "127.0.0.1:1", "-peer", "AAAA", "f"}, 2, "-peer"},
		{[]string{"serve", "extra"}, 2, "unexpected arguments"},
		{[]string{"serve", "-bogus"}, 2, "flag provided but not defined"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tt.args, &stdout, &stderr)
		require.Equal(t, tt.code, code, "%q", tt.args)
		require.Contains(t, stderr.String(), tt.want, "%q", tt.args)
	}
}

// TestTransferKey checks that the key depends on every input it binds.
func TestTransferKey(t *testing.T) {
	a, b := stc.PublicKey{1}, stc.PublicKey{2}
	base := transferKey([]byte("seed"), a, b, 0)
	require.Len(t, base, 32)
	require.Equal(t, base, transferKey([]byte("seed"), a, b, 0))
	for name, other := range map[string][]byte{
		"seed":      transferKey([]byte("other"), a, b, 0),
		"no seed":   transferKey(nil, a, b, 0),
		"direction": transferKey([]byte("seed"), b, a, 0),
		"stream":    transferKey([]byte("seed"), a, b, 4),
	} {
		require.NotEqual(t, base, other, name)
	}
}
