//go:build linux

package netnstest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netns"
)

const (
	// netnsDir is where iproute2 bind-mounts named namespaces.
	netnsDir = "/run/netns"
	// namePrefix starts the name of every namespace this package creates;
	// sweepStale relies on it.
	namePrefix = "stt-"
	// maxLabelLen bounds the label part of a namespace name.
	maxLabelLen = 32
	// nameAttempts is how often New and Link retry after a name collision.
	nameAttempts = 5
	// strayKillTimeout bounds how long cleanup waits for processes it did
	// not start (daemons, strays of Exec) to leave a namespace.
	strayKillTimeout = 5 * time.Second
)

// NS is a network namespace created by [New]. Its methods are safe for
// concurrent use.
type NS struct {
	// Name is the namespace's name, for `ip netns exec NAME` and `ip -n NAME`.
	Name string

	mu    sync.Mutex
	procs []*Proc
}

// New creates a network namespace named "stt-<label>-<pid>-<n>" with its
// loopback up, and registers a cleanup with t that stops every process
// started in it (by [NS.Start] or otherwise) and deletes it. label should be
// short; characters other than letters, digits, '-' and '_' become '_'.
//
// New skips the test without root or ip(8), and fails it if the namespace
// cannot be created.
func New(t testing.TB, label string) *NS {
	t.Helper()
	RequireRoot(t)
	RequireTool(t, "ip")
	sweepStale()

	label = sanitizeLabel(label)
	pid := os.Getpid()
	var (
		name string
		out  []byte
		err  error
	)
	for range nameAttempts {
		name = fmt.Sprintf("%s%s-%d-%d", namePrefix, label, pid, rand.N(1_000_000))
		if out, err = runIP("netns", "add", name); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("netnstest: ip netns add %s: %v\n%s", name, err, out)
	}
	ns := &NS{Name: name}
	t.Cleanup(func() {
		if err := ns.destroy(); err != nil {
			t.Errorf("netnstest: cleanup of %s: %v", ns.Name, err)
		}
	})
	if out, err := runIP("-n", name, "link", "set", "lo", "up"); err != nil {
		t.Fatalf("netnstest: bring up lo in %s: %v\n%s", name, err, out)
	}
	return ns
}

// destroy stops the processes of ns and deletes it.
func (ns *NS) destroy() error {
	ns.mu.Lock()
	procs := ns.procs
	ns.procs = nil
	ns.mu.Unlock()
	for _, p := range procs {
		_ = p.Stop() // its exit status is the test's business, not cleanup's
	}
	ns.killStrays()
	if out, err := runIP("netns", "del", ns.Name); err != nil {
		return fmt.Errorf("ip netns del: %w: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

// killStrays SIGKILLs every process still inside ns and waits, bounded by
// strayKillTimeout, until they are gone.
func (ns *NS) killStrays() {
	deadline := time.Now().Add(strayKillTimeout)
	for {
		out, err := runIP("netns", "pids", ns.Name)
		if err != nil {
			return
		}
		pids := strings.Fields(string(out))
		if len(pids) == 0 || time.Now().After(deadline) {
			return
		}
		for _, s := range pids {
			if pid, err := strconv.Atoi(s); err == nil && pid != os.Getpid() {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		time.Sleep(10 * time.Millisecond) // poll interval while the kernel reaps them
	}
}

// Exec runs args inside ns (via `ip netns exec`) and returns its combined
// output. It fails the test, showing that output, if the command fails. The
// command is killed when the test's context ends, so Exec must not be
// called from a cleanup function; use [NS.ExecErr] there.
func (ns *NS) Exec(t testing.TB, args ...string) string {
	t.Helper()
	out, err := ns.exec(t.Context(), args)
	if err != nil {
		t.Fatalf("netnstest: %v\n%s", err, out)
	}
	return out
}

// ExecErr runs args inside ns and returns its combined output and an error
// that wraps the *exec.ExitError when the command fails.
func (ns *NS) ExecErr(args ...string) (string, error) {
	return ns.exec(context.Background(), args)
}

func (ns *NS) exec(ctx context.Context, args []string) (string, error) {
	if len(args) == 0 {
		return "", errors.New("netnstest: Exec needs a command")
	}
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns.Name}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("in netns %s: %s: %w", ns.Name, strings.Join(args, " "), err)
	}
	return string(out), nil
}

// Do runs fn with the calling goroutine locked to its OS thread and that
// thread switched into ns. Sockets fn opens belong to ns for their whole
// life; goroutines fn starts do not run in ns. Afterwards the thread returns
// to its original namespace; if that fails, the thread stays locked so that
// it dies with the goroutine instead of serving others in the wrong
// namespace, and Do reports the failure.
func (ns *NS) Do(fn func() error) (err error) {
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("netnstest: open current netns: %w", err)
	}
	defer orig.Close()
	target, err := netns.GetFromName(ns.Name)
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("netnstest: open netns %s: %w", ns.Name, err)
	}
	err = netns.Set(target)
	target.Close()
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("netnstest: enter netns %s: %w", ns.Name, err)
	}
	defer func() {
		if rerr := netns.Set(orig); rerr != nil {
			// Leave the thread locked: the runtime ends it with the goroutine.
			err = errors.Join(err, fmt.Errorf("netnstest: leave netns %s: %w", ns.Name, rerr))
			return
		}
		runtime.UnlockOSThread()
	}()
	return fn()
}

// ListenUDP opens a UDP socket inside ns bound to addr ("10.0.0.1:0",
// "[fd00::1]:5000", ":0"). The socket is closed at cleanup.
func (ns *NS) ListenUDP(t testing.TB, addr string) *net.UDPConn {
	t.Helper()
	var c *net.UDPConn
	err := ns.Do(func() error {
		ua, err := net.ResolveUDPAddr("udp", addr)
		if err != nil {
			return err
		}
		c, err = net.ListenUDP("udp", ua)
		return err
	})
	if err != nil {
		t.Fatalf("netnstest: listen udp %s in %s: %v", addr, ns.Name, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Listen opens a stream listener ("tcp", "tcp4", "tcp6", "unix") inside ns.
// It is closed at cleanup.
func (ns *NS) Listen(t testing.TB, network, addr string) net.Listener {
	t.Helper()
	var l net.Listener
	err := ns.Do(func() (err error) {
		l, err = net.Listen(network, addr)
		return err
	})
	if err != nil {
		t.Fatalf("netnstest: listen %s %s in %s: %v", network, addr, ns.Name, err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// Dial connects from inside ns, as net.Dialer.DialContext with the test's
// context does. The connection is closed at cleanup.
func (ns *NS) Dial(t testing.TB, network, addr string) net.Conn {
	t.Helper()
	var c net.Conn
	err := ns.Do(func() (err error) {
		var d net.Dialer
		c, err = d.DialContext(t.Context(), network, addr)
		return err
	})
	if err != nil {
		t.Fatalf("netnstest: dial %s %s from %s: %v", network, addr, ns.Name, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Sysctl sets a per-namespace sysctl inside ns, e.g.
// Sysctl(t, "net.ipv4.ip_forward", "1") for a router namespace.
func (ns *NS) Sysctl(t testing.TB, key, value string) {
	t.Helper()
	path := filepath.Join("/proc/sys", strings.ReplaceAll(key, ".", "/"))
	err := ns.Do(func() error { return os.WriteFile(path, []byte(value), 0) })
	if err != nil {
		t.Fatalf("netnstest: sysctl %s=%s in %s: %v", key, value, ns.Name, err)
	}
}

// sanitizeLabel keeps label safe and short for a namespace name.
func sanitizeLabel(label string) string {
	if label == "" {
		label = "ns"
	}
	if len(label) > maxLabelLen {
		label = label[:maxLabelLen]
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '_'
	}, label)
}

// sweepStale deletes namespaces that this package created in processes that
// no longer exist: a test binary killed by go test's -timeout runs no
// cleanup. It assumes one pid namespace shares /run/netns, as on a test
// machine or CI runner.
func sweepStale() {
	entries, err := os.ReadDir(netnsDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, ok := ownerPid(e.Name())
		if !ok || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			_, _ = runIP("netns", "del", e.Name()) // another sweeper may win
		}
	}
}

// ownerPid parses the pid out of a name "stt-<label>-<pid>-<n>".
func ownerPid(name string) (int, bool) {
	if !strings.HasPrefix(name, namePrefix) {
		return 0, false
	}
	fields := strings.Split(name[len(namePrefix):], "-")
	if len(fields) < 3 {
		return 0, false
	}
	if _, err := strconv.Atoi(fields[len(fields)-1]); err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(fields[len(fields)-2])
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, true
}

// runIP runs ip(8) in the test's own namespace.
func runIP(args ...string) ([]byte, error) {
	return exec.Command("ip", args...).CombinedOutput()
}
