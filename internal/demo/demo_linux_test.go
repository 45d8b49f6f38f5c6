package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netns"
)

// requireRootAndTUN skips t unless the demo can run here.
func requireRootAndTUN(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN) for network namespaces and TUN devices")
	}
	if _, err := os.Stat(tunPath); err != nil {
		t.Skipf("needs %s (modprobe tun): %v", tunPath, err)
	}
}

// syncBuffer is an io.Writer safe for Run's goroutine and the test's; it
// closes seen once the output contains marker.
type syncBuffer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	marker string
	seen   chan struct{}
}

func newSyncBuffer(marker string) *syncBuffer {
	return &syncBuffer{marker: marker, seen: make(chan struct{})}
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	had := b.marker != "" && strings.Contains(b.buf.String(), b.marker)
	n, err := b.buf.Write(p)
	if !had && b.marker != "" && strings.Contains(b.buf.String(), b.marker) {
		close(b.seen)
	}
	return n, err
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var nsNameRE = regexp.MustCompile(`namespaces (stt-demo-\d+-[0-9a-f]{8})-a and -b`)

// namespaces returns the two namespace names Run announced in out.
func namespaces(t *testing.T, out string) []string {
	t.Helper()
	m := nsNameRE.FindStringSubmatch(out)
	require.NotNil(t, m, "no namespace names in output:\n%s", out)
	return []string{m[1] + "-a", m[1] + "-b"}
}

// requireGone asserts that the namespaces no longer exist by name.
func requireGone(t *testing.T, names []string) {
	t.Helper()
	for _, name := range names {
		_, err := os.Stat(filepath.Join(netnsDir, name))
		require.ErrorIs(t, err, fs.ErrNotExist, "namespace %s still in %s", name, netnsDir)
		h, err := netns.GetFromName(name)
		if err == nil {
			h.Close()
		}
		require.Error(t, err, "namespace %s can still be opened", name)
	}
}

// kernelHandles counts this process's descriptors that hold a socket, a
// TUN device or a namespace: what Run must all close again.
func kernelHandles(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	n := 0
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err != nil {
			continue // the descriptor ReadDir itself used
		}
		if strings.HasPrefix(target, "socket:") || strings.HasPrefix(target, "net:[") || target == tunPath {
			n++
		}
	}
	return n
}

func TestRun(t *testing.T) {
	requireRootAndTUN(t)
	before := kernelHandles(t)
	out := newSyncBuffer("")
	err := Run(t.Context(), Options{Out: out, Duration: time.Second})
	text := out.String()
	t.Log("\n" + text)
	require.NoError(t, err)
	for _, re := range []string{
		`(?m)^stt-tun demo: two hosts in network namespaces stt-demo-\d+-[0-9a-f]{8}-a and -b, joined by a veth pair$`,
		`(?m)^  host a: 10\.231\.0\.1 \(underlay\)  10\.232\.0\.1 / fd32::1 on stt0 \(overlay\)$`,
		`(?m)^handshake: [\d.]+ ms$`,
		`(?m)^ping 10\.232\.0\.2: 5/5 replies, rtt( [\d.]+){5} ms, min/avg/max [\d.]+/[\d.]+/[\d.]+ ms$`,
		`(?m)^ping fd32::2: 1/1 replies, rtt [\d.]+ ms$`,
		`(?m)^tcp a -> b: [\d.]+ [GM]bit/s \([\d.]+ [kMG]?B in \d+\.\d s\), all bytes arrived$`,
		`(?m)^a -> b: [\d ]+ packets sent, [\d ]+ received, .* on the wire; b -> a: `,
		`(?m)^session: suite (aes-256-gcm|chacha20-poly1305), key epoch \d+, (handshake rtt [\d.]+ ms|rtt not measured); no drops$`,
		`(?m)^removed: namespaces stt-demo-\d+-[0-9a-f]{8}-a and -b, the veth pair, both stt0 devices$`,
	} {
		require.Regexp(t, re, text)
	}
	requireGone(t, namespaces(t, text))
	require.Equal(t, before, kernelHandles(t), "sockets, TUN or namespace descriptors left open")
}

func TestRunCancelled(t *testing.T) {
	requireRootAndTUN(t)
	before := kernelHandles(t)
	out := newSyncBuffer("handshake:")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	errc := make(chan error, 1)
	// A push far longer than the test: only the cancel can end it.
	go func() { errc <- Run(ctx, Options{Out: out, Duration: time.Hour}) }()
	var err error
	select {
	case <-out.seen:
		cancel()
		err = <-errc
	case err = <-errc:
		t.Fatalf("Run returned before the handshake: %v\n%s", err, out.String())
	}
	text := out.String()
	t.Log("\n" + text)
	require.ErrorIs(t, err, context.Canceled)
	require.Contains(t, err.Error(), "demo: ")
	require.Regexp(t, `(?m)^removed: namespaces .*-a and -b, the veth pair, both stt0 devices$`, text)
	require.NotContains(t, text, "all bytes arrived")
	requireGone(t, namespaces(t, text))
	require.Equal(t, before, kernelHandles(t), "sockets, TUN or namespace descriptors left open")
}

func TestRunCancelledBeforeStart(t *testing.T) {
	requireRootAndTUN(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var out bytes.Buffer
	err := Run(ctx, Options{Out: &out})
	require.ErrorIs(t, err, context.Canceled)
	require.Empty(t, out.String(), "nothing is built, so nothing is printed")
}

func TestRunParallel(t *testing.T) {
	requireRootAndTUN(t)
	const runs = 2
	outs := make([]*syncBuffer, runs)
	errs := make([]error, runs)
	var wg sync.WaitGroup
	for i := range runs {
		outs[i] = newSyncBuffer("")
		wg.Go(func() { errs[i] = Run(t.Context(), Options{Out: outs[i], Duration: 300 * time.Millisecond}) })
	}
	wg.Wait()
	seen := map[string]bool{}
	for i := range runs {
		text := outs[i].String()
		require.NoError(t, errs[i], "run %d:\n%s", i, text)
		require.Contains(t, text, "all bytes arrived")
		names := namespaces(t, text)
		for _, n := range names {
			require.False(t, seen[n], "two runs used namespace %s", n)
			seen[n] = true
		}
		requireGone(t, names)
	}
}

func TestTeardownAfterFailedBuild(t *testing.T) {
	requireRootAndTUN(t)
	before := kernelHandles(t)
	var out bytes.Buffer
	d := newDemo(Options{Out: &out, Logger: slog.New(slog.DiscardHandler)})
	ctx, cancel := context.WithCancel(t.Context())
	cancel() // build stops at its first wait, or at its end
	require.ErrorIs(t, d.build(ctx), context.Canceled)
	require.NoError(t, d.teardown())
	require.Regexp(t, `^removed: namespaces stt-demo-\d+-[0-9a-f]{8}-a and -b, the veth pair`, out.String())
	requireGone(t, []string{d.hosts[0].nsName, d.hosts[1].nsName})
	require.Equal(t, before, kernelHandles(t), "sockets, TUN or namespace descriptors left open")
}

func TestSweepStale(t *testing.T) {
	requireRootAndTUN(t)
	// A pid that just ended stands for a demo killed without cleanup.
	cmd := exec.Command("true")
	require.NoError(t, cmd.Run())
	dead := cmd.Process.Pid
	stale := fmt.Sprintf("%s%d-0000beef-a", namePrefix, dead)
	mine := fmt.Sprintf("%s%d-0000beef-a", namePrefix, os.Getpid())
	for _, name := range []string{stale, mine} {
		h, err := newNamedNS(name)
		require.NoError(t, err)
		h.Close()
		t.Cleanup(func() { _ = netns.DeleteNamed(name) })
	}
	sweepStale()
	requireGone(t, []string{stale})
	_, err := os.Stat(filepath.Join(netnsDir, mine))
	require.NoError(t, err, "sweepStale removed a namespace of a live process")
}

func TestOwnerPid(t *testing.T) {
	for _, tt := range []struct {
		name string
		pid  int
		ok   bool
	}{
		{"stt-demo-1234-0a1b2c3d-a", 1234, true},
		{"stt-demo-1-ffffffff-b", 1, true},
		{"stt-demo-0-0a1b2c3d-a", 0, false},
		{"stt-demo-1234-0a1b-a", 0, false},
		{"stt-demo-1234-0a1b2c3x-a", 0, false},
		{"stt-demo-1234-0a1b2c3d-c", 0, false},
		{"stt-demo-x-0a1b2c3d-a", 0, false},
		{"stt-demo-1234-a", 0, false},
		{"stt-demo-1234-0a1b2c3d-a-extra", 0, false},
		{"stt-a-1234-5", 0, false}, // netnstest's, not ours
		{"", 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pid, ok := ownerPid(tt.name)
			require.Equal(t, tt.ok, ok)
			require.Equal(t, tt.pid, pid)
		})
	}
}

func TestReadZeros(t *testing.T) {
	for _, tt := range []struct {
		name    string
		data    string
		want    int64
		wantErr error
	}{
		{"empty", "", 0, nil},
		{"zeros", strings.Repeat("\x00", 3*tcpChunk+7), 3*tcpChunk + 7, nil},
		{"one byte set", strings.Repeat("\x00", 100) + "x", 0, errNotZero},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n, err := readZeros(strings.NewReader(tt.data))
			if tt.wantErr != nil {
				require.True(t, errors.Is(err, tt.wantErr), "err = %v", err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, n)
		})
	}
}

// TestStepsOnUnderlay runs the measuring steps over the bare veth (no
// engines), including their early-return paths, which must leave no
// goroutine or socket behind.
func TestStepsOnUnderlay(t *testing.T) {
	requireRootAndTUN(t)
	before := kernelHandles(t)
	d := newDemo(Options{Out: &bytes.Buffer{}, Logger: slog.New(slog.DiscardHandler)})
	defer func() { require.NoError(t, d.teardown()) }()
	require.NoError(t, d.build(t.Context()))
	a, b := d.hosts[0], d.hosts[1]
	dst := netip.AddrPortFrom(b.underlay.Addr(), tcpPort)
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()

	t.Run("ping", func(t *testing.T) {
		r, err := ping(t.Context(), a.ns, b.underlay.Addr(), 2)
		require.NoError(t, err)
		require.Equal(t, 2, r.replies(), "%s", r)
	})
	t.Run("ping cancelled", func(t *testing.T) {
		_, err := ping(cancelled, a.ns, b.underlay.Addr(), 2)
		require.ErrorIs(t, err, context.Canceled)
	})
	t.Run("tcp", func(t *testing.T) {
		r, err := tcpPush(t.Context(), a.ns, b.ns, dst, 100*time.Millisecond)
		require.NoError(t, err)
		require.Positive(t, r.bytes)
		require.GreaterOrEqual(t, r.elapsed, 100*time.Millisecond)
	})
	t.Run("tcp cancelled", func(t *testing.T) {
		_, err := tcpPush(cancelled, a.ns, b.ns, dst, time.Hour)
		require.ErrorIs(t, err, context.Canceled)
	})
	t.Run("tcp listen fails", func(t *testing.T) {
		wrong := netip.AddrPortFrom(netip.MustParseAddr("10.231.0.99"), tcpPort)
		_, err := tcpPush(t.Context(), a.ns, b.ns, wrong, time.Hour)
		require.ErrorContains(t, err, "listen on 10.231.0.99:5201 in b")
	})
	require.NoError(t, d.teardown())
	require.Equal(t, before, kernelHandles(t), "sockets, TUN or namespace descriptors left open")
}
