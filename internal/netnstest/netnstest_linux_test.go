//go:build linux

package netnstest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Documentation ranges (RFC 5737, RFC 3849): they exist only inside the
// test's own namespaces.
var (
	pfxA4 = netip.MustParsePrefix("192.0.2.1/24")
	pfxB4 = netip.MustParsePrefix("192.0.2.2/24")
	pfxA6 = netip.MustParsePrefix("2001:db8::1/64")
	pfxB6 = netip.MustParsePrefix("2001:db8::2/64")
)

// pair builds two namespaces joined by one veth pair with v4 and v6
// addresses.
func pair(t *testing.T) (a, b *NS, aIf, bIf string) {
	t.Helper()
	a, b = New(t, "a"), New(t, "b")
	aIf, bIf = Link(t, a, []netip.Prefix{pfxA4, pfxA6}, b, []netip.Prefix{pfxB4, pfxB6})
	return a, b, aIf, bIf
}

// startUDPEcho runs a UDP echo server in ns on addr until cleanup.
func startUDPEcho(t *testing.T, ns *NS, addr string) netip.AddrPort {
	t.Helper()
	c := ns.ListenUDP(t, addr)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65535)
		for {
			n, from, err := c.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			if _, err := c.WriteToUDPAddrPort(buf[:n], from); err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { c.Close(); <-done })
	return c.LocalAddr().(*net.UDPAddr).AddrPort()
}

func TestAptPackage(t *testing.T) {
	for _, tt := range []struct{ tool, pkg string }{
		{"ip", "iproute2"},
		{"tc", "iproute2"},
		{"ping", "iputils-ping"},
		{"nft", "nftables"},
		{"iperf3", "iperf3"},
		{"curl", "curl"},
	} {
		t.Run(tt.tool, func(t *testing.T) {
			require.Equal(t, tt.pkg, aptPackage(tt.tool))
		})
	}
}

func TestRequireToolSkips(t *testing.T) {
	var skipped, reached bool
	t.Run("missing", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		RequireTool(t, "sh", "stt-no-such-tool-zz")
		reached = true
	})
	require.True(t, skipped, "RequireTool did not skip for a missing tool")
	require.False(t, reached)

	t.Run("present", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		RequireTool(t, "sh")
	})
	require.False(t, skipped, "RequireTool skipped for sh")
}

func TestSanitizeLabel(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", "ns"},
		{"router", "router"},
		{"Test/sub case", "Test_sub_case"},
		{"a-b_c9", "a-b_c9"},
		{strings.Repeat("x", 40), strings.Repeat("x", maxLabelLen)},
	} {
		t.Run(tt.in, func(t *testing.T) {
			require.Equal(t, tt.want, sanitizeLabel(tt.in))
		})
	}
}

func TestOwnerPid(t *testing.T) {
	for _, tt := range []struct {
		name string
		pid  int
		ok   bool
	}{
		{"stt-a-123-4", 123, true},
		{"stt-router-x-99-0", 99, true},
		{"stt-a-0-4", 0, false},
		{"stt-a-123", 0, false},
		{"stt-a-b-c", 0, false},
		{"wg-test-123-4", 0, false},
		{"stt--123-4", 123, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			pid, ok := ownerPid(tt.name)
			require.Equal(t, tt.ok, ok)
			require.Equal(t, tt.pid, pid)
		})
	}
}

func TestNewNamesAndLoopback(t *testing.T) {
	ns := New(t, "name/check")
	require.Regexp(t, `^stt-name_check-`+strconv.Itoa(os.Getpid())+`-\d+$`, ns.Name)
	require.Contains(t, ns.Exec(t, "ip", "-o", "link", "show", "dev", "lo"), "UP")
	other := New(t, "name/check")
	require.NotEqual(t, ns.Name, other.Name)
}

func TestLinkedNamespaces(t *testing.T) {
	a, b, aIf, bIf := pair(t)
	for _, ifc := range []string{aIf, bIf} {
		require.LessOrEqual(t, len(ifc), 15, "interface name %q too long", ifc)
	}
	require.Contains(t, a.Exec(t, "ip", "-o", "addr", "show", "dev", aIf), "2001:db8::1/64")
	require.Contains(t, b.Exec(t, "ip", "-o", "addr", "show", "dev", bIf), "192.0.2.2/24")

	t.Run("ping", func(t *testing.T) {
		RequireTool(t, "ping")
		for _, dst := range []string{pfxB4.Addr().String(), pfxB6.Addr().String()} {
			out := a.Exec(t, "ping", "-c", "2", "-i", "0.2", "-W", "2", "-q", dst)
			require.Contains(t, out, " 0% packet loss", dst)
		}
	})

	t.Run("go-udp-echo", func(t *testing.T) {
		for _, tt := range []struct{ name, server, client string }{
			{"v4", "192.0.2.2:0", "192.0.2.1:0"},
			{"v6", "[2001:db8::2]:0", "[2001:db8::1]:0"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				srv := startUDPEcho(t, b, tt.server)
				c := a.ListenUDP(t, tt.client)
				for i := range 5 {
					msg := fmt.Appendf(nil, "hello %s %d", tt.name, i)
					_, err := c.WriteToUDPAddrPort(msg, srv)
					require.NoError(t, err)
					require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
					buf := make([]byte, 100)
					n, from, err := c.ReadFromUDPAddrPort(buf)
					require.NoError(t, err)
					require.Equal(t, srv, from)
					require.Equal(t, msg, buf[:n])
				}
			})
		}
	})

	t.Run("loss", func(t *testing.T) {
		RequireTool(t, "ping", "nft")
		dst := pfxB4.Addr().String()
		a.Loss(t, aIf, 100)
		require.Contains(t, a.Exec(t, "nft", "list", "ruleset"), lossTable(aIf))
		out, err := a.ExecErr("ping", "-c", "3", "-i", "0.2", "-W", "1", "-q", dst)
		require.Error(t, err, "ping got through 100%% loss:\n%s", out)
		require.Contains(t, out, "100% packet loss")

		a.Loss(t, aIf, 0)
		require.NotContains(t, a.Exec(t, "nft", "list", "ruleset"), lossTable(aIf))
		out = a.Exec(t, "ping", "-c", "3", "-i", "0.2", "-W", "2", "-q", dst)
		require.Contains(t, out, " 0% packet loss")
	})

	t.Run("partial-loss", func(t *testing.T) {
		RequireTool(t, "ping", "nft")
		// Only the requests leaving a are dropped, so ping's loss is the
		// rule's. 200 samples at p=0.5: sigma = 3.5 points; allow 5 sigma.
		a.Loss(t, aIf, 50)
		require.Contains(t, a.Exec(t, "nft", "list", "ruleset"), "numgen random mod 100 < 50")
		// ping exits 0 when any reply came back.
		out := a.Exec(t, "ping", "-c", "200", "-i", "0.002", "-W", "1", "-q", pfxB4.Addr().String())
		t.Log(strings.TrimSpace(out))
		m := regexp.MustCompile(`([\d.]+)% packet loss`).FindStringSubmatch(out)
		require.NotNil(t, m, out)
		loss, err := strconv.ParseFloat(m[1], 64)
		require.NoError(t, err)
		require.InDelta(t, 50, loss, 5*3.54, out)
	})

	t.Run("tcp-rate-limit", func(t *testing.T) {
		const (
			rate  = 8_000_000 // bit/s, i.e. 1 MB/s
			total = 1 << 20
			burst = 16 << 10
		)
		a.RateLimit(t, aIf, rate)
		require.Contains(t, a.Exec(t, "tc", "qdisc", "show", "dev", aIf), "tbf")
		l := b.Listen(t, "tcp", "192.0.2.2:0")
		got := make(chan int64, 1)
		go func() {
			c, err := l.Accept()
			if err != nil {
				got <- -1
				return
			}
			defer c.Close()
			n, _ := io.Copy(io.Discard, c)
			got <- n
		}()
		c := a.Dial(t, "tcp", l.Addr().String())
		start := time.Now()
		_, err := c.Write(make([]byte, total))
		require.NoError(t, err)
		require.NoError(t, c.Close())
		n := <-got
		elapsed := time.Since(start)
		require.Equal(t, int64(total), n)
		// Lower bound only: the shaper cannot send faster than rate
		// after its burst. (Headers only make it slower.)
		minTime := time.Duration(float64(total-2*burst) / (rate / 8) * float64(time.Second))
		require.GreaterOrEqual(t, elapsed, minTime*9/10)

		a.RateLimit(t, aIf, 0)
		require.NotContains(t, a.Exec(t, "tc", "qdisc", "show", "dev", aIf), "tbf")
	})
}

func TestLinkSameNamespace(t *testing.T) {
	ns := New(t, "self")
	aIf, bIf := Link(t, ns, nil, ns, nil)
	out := ns.Exec(t, "ip", "-o", "link", "show")
	require.Contains(t, out, aIf)
	require.Contains(t, out, bIf)
}

func TestCleanupRemovesEverything(t *testing.T) {
	var (
		name              string
		procPid, strayPid int
		linkA             string
		subtestRan        bool
	)
	t.Run("inner", func(t *testing.T) {
		ns := New(t, "cleanup")
		peer := New(t, "cleanup-peer")
		linkA, _ = Link(t, ns, nil, peer, nil)
		name = ns.Name
		p := ns.Start(t, "sleep", "1000")
		procPid = p.Pid()
		// A process that Start does not know about: only `ip netns pids`
		// finds it.
		out := ns.Exec(t, "sh", "-c", "sleep 1000 >/dev/null 2>&1 </dev/null & echo $!")
		var err error
		strayPid, err = strconv.Atoi(strings.TrimSpace(out))
		require.NoError(t, err, out)
		require.NoError(t, syscall.Kill(strayPid, 0))
		require.Contains(t, mustIP(t, "netns", "list"), name)
		subtestRan = true
	})
	require.True(t, subtestRan)
	require.NotContains(t, mustIP(t, "netns", "list"), name)
	require.NoFileExists(t, "/run/netns/"+name)
	for _, pid := range []int{procPid, strayPid} {
		// Stray is not our child: it may linger as a zombie until init
		// reaps it, which Kill(pid, 0) still reports; the cmdline is gone.
		require.Eventually(t, func() bool {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			return err != nil || !strings.Contains(string(b), "sleep")
		}, 10*time.Second, 20*time.Millisecond, "pid %d still running", pid)
	}
	require.NotContains(t, mustIP(t, "-o", "link", "show"), linkA)
}

func mustIP(t *testing.T, args ...string) string {
	t.Helper()
	out, err := runIP(args...)
	require.NoError(t, err, string(out))
	return string(out)
}

func TestProc(t *testing.T) {
	ns := New(t, "proc")

	t.Run("output-and-kill", func(t *testing.T) {
		p := ns.Start(t, "sh", "-c", "echo ready; exec sleep 1000")
		require.Eventually(t, func() bool { return strings.Contains(p.Output(), "ready") },
			10*time.Second, 10*time.Millisecond)
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		require.ErrorIs(t, p.Wait(ctx), context.DeadlineExceeded)
		err := p.Stop()
		var exitErr interface{ ExitCode() int }
		require.ErrorAs(t, err, &exitErr, "sleep killed by SIGTERM is no clean exit")
		require.Equal(t, err, p.Stop(), "Stop is idempotent")
		<-p.Done()
	})

	t.Run("clean-exit-on-sigterm", func(t *testing.T) {
		p := ns.Start(t, "sh", "-c", `trap 'echo bye; exit 0' TERM; echo up; while :; do sleep 0.05; done`)
		require.Eventually(t, func() bool { return strings.Contains(p.Output(), "up") },
			10*time.Second, 10*time.Millisecond)
		require.NoError(t, p.Stop())
		require.Contains(t, p.Output(), "bye")
	})

	t.Run("runs-inside", func(t *testing.T) {
		p := ns.Start(t, "ip", "-o", "link", "show")
		require.NoError(t, p.Wait(t.Context()))
		require.Contains(t, p.Output(), "lo:")
		require.NotContains(t, p.Output(), "eth", "saw the host's interfaces")
	})

	t.Run("exit-status", func(t *testing.T) {
		p := ns.Start(t, "sh", "-c", "exit 3")
		err := p.Wait(t.Context())
		var exitErr interface{ ExitCode() int }
		require.ErrorAs(t, err, &exitErr)
		require.Equal(t, 3, exitErr.ExitCode())
	})
}

func TestExec(t *testing.T) {
	ns := New(t, "exec")
	out, err := ns.ExecErr("sh", "-c", "echo oops; exit 2")
	require.Error(t, err)
	require.Contains(t, err.Error(), ns.Name)
	require.Equal(t, "oops\n", out)
	_, err = ns.ExecErr()
	require.Error(t, err)
	require.Equal(t, "hi\n", ns.Exec(t, "echo", "hi"))
}

func TestDo(t *testing.T) {
	ns := New(t, "do")
	self := func() string {
		l, err := os.Readlink("/proc/thread-self/ns/net")
		require.NoError(t, err)
		return l
	}
	before := self()
	var inside string
	require.NoError(t, ns.Do(func() error { inside = self(); return nil }))
	require.NotEqual(t, before, inside)
	require.Equal(t, before, self())

	sentinel := errors.New("from fn")
	require.ErrorIs(t, ns.Do(func() error { return sentinel }), sentinel)

	gone := &NS{Name: "stt-never-created-1-1"}
	require.Error(t, gone.Do(func() error { return nil }))
	require.Equal(t, before, self())
}

func TestSysctl(t *testing.T) {
	ns := New(t, "sysctl")
	require.Equal(t, "0", strings.TrimSpace(ns.Exec(t, "cat", "/proc/sys/net/ipv4/ip_forward")))
	ns.Sysctl(t, "net.ipv4.ip_forward", "1")
	require.Equal(t, "1", strings.TrimSpace(ns.Exec(t, "cat", "/proc/sys/net/ipv4/ip_forward")))
	fresh := New(t, "sysctl")
	require.Equal(t, "0", strings.TrimSpace(fresh.Exec(t, "cat", "/proc/sys/net/ipv4/ip_forward")))
}

func TestSweepStale(t *testing.T) {
	RequireRoot(t)
	RequireTool(t, "ip")
	// A pid that cannot be alive: above the kernel's pid_max ceiling.
	name := fmt.Sprintf("%ssweep-%d-0", namePrefix, 1<<23)
	out, err := runIP("netns", "add", name)
	require.NoError(t, err, string(out))
	t.Cleanup(func() { _, _ = runIP("netns", "del", name) })
	sweepStale()
	require.NotContains(t, mustIP(t, "netns", "list"), name)
}
