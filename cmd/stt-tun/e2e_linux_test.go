package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/internal/netnstest"
	"github.com/seigr/stt-tun/sttcore/stc"
)

// The end-to-end tests run the real stt-tun binary in network namespaces,
// one per host, joined by veth pairs, and drive it with ping and Go sockets.
// They need root, ip(8) and ping; CI has them.

// binary is the stt-tun built (without the race detector, like a release)
// for these tests.
var binary string

func TestMain(m *testing.M) {
	code := func() int {
		if os.Geteuid() != 0 {
			return m.Run() // the e2e tests skip themselves without root
		}
		dir, err := os.MkdirTemp("", "stt-e2e-bin")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		binary = filepath.Join(dir, "stt-tun")
		out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "building stt-tun: %v\n%s", err, out)
			return 1
		}
		return m.Run()
	}()
	os.Exit(code)
}

// host is one machine of a test: a namespace with keys and a config.
type host struct {
	t         *testing.T
	name      string
	ns        *netnstest.NS
	key       stc.PrivateKey
	dir       string
	overlay   netip.Addr // its stt0 IPv4 address
	overlay6  netip.Addr // its stt0 IPv6 address
	underlay  netip.Addr // where peers reach it
	port      uint16
	extra     []string // extra allowed IPs peers give it
	peers     []*host
	proc      *netnstest.Proc
	keepalive string
	metrics   string   // metrics_address, if any
	iface     []string // more [interface] lines, if any
}

var seedText = func() string {
	s, _ := stc.GenerateSharedSeed()
	return stc.EncodeSharedSeed(s)
}()

func newHost(t *testing.T, name string, n int) *host {
	netnstest.RequireRoot(t)
	netnstest.RequireTool(t, "ip", "ping")
	k, err := stc.GeneratePrivateKey()
	require.NoError(t, err)
	dir, err := os.MkdirTemp("", "stt")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.WriteFile(filepath.Join(dir, "private.key"), []byte(k.Encode()+"\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "network.seed"), []byte(seedText+"\n"), 0o600))
	return &host{
		t: t, name: name, ns: netnstest.New(t, "e2e"+name), key: k, dir: dir,
		overlay:  netip.MustParseAddr(fmt.Sprintf("10.77.0.%d", n)),
		overlay6: netip.MustParseAddr(fmt.Sprintf("fd77::%d", n)),
		port:     51820,
	}
}

func (h *host) socket() string { return filepath.Join(h.dir, "ctl.sock") }

// link joins two hosts with a veth pair on subnet 10.200.<n>.0/24.
func link(t *testing.T, a, b *host, n int) {
	aa := netip.MustParsePrefix(fmt.Sprintf("10.200.%d.1/24", n))
	bb := netip.MustParsePrefix(fmt.Sprintf("10.200.%d.2/24", n))
	netnstest.Link(t, a.ns, []netip.Prefix{aa}, b.ns, []netip.Prefix{bb})
	if !a.underlay.IsValid() {
		a.underlay = aa.Addr()
	}
	if !b.underlay.IsValid() {
		b.underlay = bb.Addr()
	}
}

// config writes h's configuration; endpoint returns how h reaches a peer.
func (h *host) config(endpoint func(peer *host) string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[interface]\nname = \"stt0\"\nprivate_key_file = \"private.key\"\nshared_seed_file = \"network.seed\"\n")
	fmt.Fprintf(&b, "address = [\"%s/24\", \"%s/64\"]\nlisten_port = %d\nmtu = 1420\ncontrol_socket = %q\nlog_level = \"debug\"\n",
		h.overlay, h.overlay6, h.port, h.socket())
	if h.metrics != "" {
		fmt.Fprintf(&b, "metrics_address = %q\n", h.metrics)
	}
	for _, l := range h.iface {
		b.WriteString(l + "\n")
	}
	for _, p := range h.peers {
		allowed := []string{fmt.Sprintf("%q", p.overlay.String()+"/32"), fmt.Sprintf("%q", p.overlay6.String()+"/128")}
		for _, e := range p.extra {
			allowed = append(allowed, fmt.Sprintf("%q", e))
		}
		pub := p.key.PublicKey()
		fmt.Fprintf(&b, "\n[[peer]]\nname = %q\npublic_key = %q\nendpoint = %q\nallowed_ips = [%s]\n",
			p.name, pub.String(), endpoint(p), strings.Join(allowed, ", "))
		if h.keepalive != "" {
			fmt.Fprintf(&b, "persistent_keepalive = %q\n", h.keepalive)
		}
	}
	path := filepath.Join(h.dir, "stt0.toml")
	require.NoError(h.t, os.WriteFile(path, []byte(b.String()), 0o600))
	return path
}

func (h *host) up(endpoint func(peer *host) string) {
	h.proc = h.ns.Start(h.t, binary, "up", "--config", h.config(endpoint))
	h.waitStatus(func(st *statusReply) bool { return true }, "control socket never answered")
}

func (h *host) status() (*statusReply, error) {
	out, err := h.ns.ExecErr(binary, "status", "--json", "--socket", h.socket())
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, out)
	}
	var st statusReply
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		return nil, fmt.Errorf("%v: %s", err, out)
	}
	return &st, nil
}

func (h *host) waitStatus(cond func(*statusReply) bool, msg string) *statusReply {
	h.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		st, err := h.status()
		if err == nil && cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			out := ""
			if h.proc != nil {
				out = h.proc.Output()
			}
			h.t.Fatalf("%s: %s: last status %+v, err %v\nlog:\n%s", h.name, msg, st, err, tail(out, 3000))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func (h *host) waitConnected(peers int) {
	h.waitStatus(func(st *statusReply) bool {
		c := 0
		for _, p := range st.Status.Peers {
			if p.Connected {
				c++
			}
		}
		return c == peers
	}, "peers not connected")
}

func (h *host) ping(dst netip.Addr, extra ...string) (string, error) {
	args := append([]string{"ping", "-c", "3", "-i", "0.2", "-W", "2"}, extra...)
	return h.ns.ExecErr(append(args, dst.String())...)
}

func (h *host) mustPing(dst netip.Addr, extra ...string) {
	h.t.Helper()
	out, err := h.ping(dst, extra...)
	require.NoError(h.t, err, "%s: ping %v: %s", h.name, dst, out)
	require.Contains(h.t, out, " 0% packet loss", out)
}

func direct(peer *host) string { return netip.AddrPortFrom(peer.underlay, peer.port).String() }

func pair(t *testing.T) (*host, *host) {
	a, b := newHost(t, "a", 1), newHost(t, "b", 2)
	link(t, a, b, 1)
	a.peers, b.peers = []*host{b}, []*host{a}
	a.up(direct)
	b.up(direct)
	a.waitConnected(1)
	b.waitConnected(1)
	return a, b
}

func TestE2EPingAndMTU(t *testing.T) {
	a, b := pair(t)
	a.mustPing(b.overlay)
	b.mustPing(a.overlay)
	a.mustPing(b.overlay6)
	b.mustPing(a.overlay6)

	// The largest packet that fits the MTU passes with DF set; one byte more
	// is refused with "message too long" (the kernel's answer to EMSGSIZE
	// with the MTU), not lost silently.
	a.mustPing(b.overlay, "-M", "do", "-s", "1392")
	out, err := a.ping(b.overlay, "-M", "do", "-s", "1393")
	require.Error(t, err)
	require.Contains(t, out, "message too long")
	require.Contains(t, out, "mtu=1420")
	a.mustPing(b.overlay6, "-M", "do", "-s", "1372")
	out, err = a.ping(b.overlay6, "-M", "do", "-s", "1373")
	require.Error(t, err)
	require.Contains(t, out, "message too long")
}

// threadPolicies counts the scheduling policies of the threads of pid: field
// 41 of each thread's /proc stat line (proc(5)).
func threadPolicies(t *testing.T, pid int) map[int]int {
	t.Helper()
	files, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	out := map[int]int{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue // the thread exited
		}
		// The name, field 2, is in parentheses and may hold spaces; field 3
		// follows the last ')'.
		rest := string(data[strings.LastIndexByte(string(data), ')')+2:])
		fields := strings.Fields(rest)
		require.Greater(t, len(fields), 41-3, "short stat line in %s", f)
		p, err := strconv.Atoi(fields[41-3])
		require.NoError(t, err)
		out[p]++
	}
	return out
}

// TestE2EQueueAndScheduling: by default the device queue holds 4000 packets
// and every thread of the daemon runs as SCHED_BATCH (3), after traffic too;
// txqueuelen and scheduling = "normal" (0) change both.
func TestE2EQueueAndScheduling(t *testing.T) {
	a, b := newHost(t, "qa", 1), newHost(t, "qb", 2)
	link(t, a, b, 1)
	a.peers, b.peers = []*host{b}, []*host{a}
	b.iface = []string{"txqueuelen = 700", `scheduling = "normal"`}
	a.up(direct)
	b.up(direct)
	a.waitConnected(1)
	a.mustPing(b.overlay, "-c", "20", "-i", "0.01")

	require.Contains(t, a.ns.Exec(t, "ip", "link", "show", "stt0"), "qlen 4000")
	require.Contains(t, b.ns.Exec(t, "ip", "link", "show", "stt0"), "qlen 700")
	pa := threadPolicies(t, a.proc.Pid())
	require.Equal(t, map[int]int{3: pa[3]}, pa, "every thread of a is SCHED_BATCH")
	require.GreaterOrEqual(t, pa[3], 3, "the daemon runs several threads")
	pb := threadPolicies(t, b.proc.Pid())
	require.Equal(t, map[int]int{0: pb[0]}, pb, "every thread of b is SCHED_OTHER")
}

func TestE2EBulkTCP(t *testing.T) {
	a, b := pair(t)
	const size = 100 << 20
	addr := netip.AddrPortFrom(b.overlay, 5001).String()
	ln := b.ns.Listen(t, "tcp", addr)
	type result struct {
		sum [32]byte
		n   int64
		err error
	}
	got := make(chan result, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- result{err: err}
			return
		}
		defer c.Close()
		h := sha256.New()
		n, err := io.Copy(h, c)
		got <- result{sum: [32]byte(h.Sum(nil)), n: n, err: err}
	}()
	conn := a.ns.Dial(t, "tcp", addr)
	h := sha256.New()
	rng := rand.NewChaCha8([32]byte{42})
	buf := make([]byte, 1<<16)
	start := time.Now()
	for sent := 0; sent < size; sent += len(buf) {
		_, _ = rng.Read(buf)
		h.Write(buf)
		_, err := conn.Write(buf)
		require.NoError(t, err)
	}
	require.NoError(t, conn.(*net.TCPConn).CloseWrite())
	r := <-got
	elapsed := time.Since(start)
	require.NoError(t, r.err)
	require.Equal(t, int64(size), r.n)
	require.Equal(t, [32]byte(h.Sum(nil)), r.sum, "SHA-256 differs")
	t.Logf("100 MiB in %v (%.0f Mbit/s)", elapsed.Round(time.Millisecond), float64(size*8)/elapsed.Seconds()/1e6)
}

func TestE2EMeshAndSubnetRoute(t *testing.T) {
	a, b, c := newHost(t, "a", 1), newHost(t, "b", 2), newHost(t, "c", 3)
	// Underlay: a–b on 10.200.1.0/24, a–c on 10.200.2.0/24, b–c on 10.200.3.0/24.
	link(t, a, b, 1)
	link(t, a, c, 2)
	link(t, b, c, 3)
	eps := map[[2]string]string{
		{"a", "b"}: "10.200.1.2", {"b", "a"}: "10.200.1.1",
		{"a", "c"}: "10.200.2.2", {"c", "a"}: "10.200.2.1",
		{"b", "c"}: "10.200.3.2", {"c", "b"}: "10.200.3.1",
	}
	// Behind c, a LAN 192.168.77.0/24 with one more host on it.
	lan := netnstest.New(t, "e2elan")
	netnstest.Link(t, c.ns, []netip.Prefix{netip.MustParsePrefix("192.168.77.1/24")},
		lan, []netip.Prefix{netip.MustParsePrefix("192.168.77.2/24")})
	lan.Exec(t, "ip", "route", "add", "default", "via", "192.168.77.1")
	c.ns.Sysctl(t, "net.ipv4.ip_forward", "1")
	c.extra = []string{"192.168.77.0/24"}

	a.peers, b.peers, c.peers = []*host{b, c}, []*host{a, c}, []*host{a, b}
	for _, h := range []*host{a, b, c} {
		h.up(func(p *host) string { return eps[[2]string{h.name, p.name}] + ":51820" })
	}
	for _, h := range []*host{a, b, c} {
		h.waitConnected(2)
	}
	for _, from := range []*host{a, b, c} {
		for _, to := range []*host{a, b, c} {
			if from != to {
				from.mustPing(to.overlay)
			}
		}
	}
	lanHost := netip.MustParseAddr("192.168.77.2")
	a.mustPing(lanHost)
	b.mustPing(lanHost)
}

func TestE2EPeerRestart(t *testing.T) {
	a, b := pair(t)
	a.mustPing(b.overlay)

	// b dies without a word (SIGKILL: no CLOSE sent, its device vanishes).
	require.NoError(t, syscall.Kill(b.proc.Pid(), syscall.SIGKILL))
	require.ErrorContains(t, b.proc.Wait(context.Background()), "killed")
	out, err := a.ns.ExecErr("ping", "-c", "1", "-W", "1", b.overlay.String())
	require.Error(t, err, "b is down: %s", out)

	// b comes back; traffic must flow again within 2 s, a untouched.
	start := time.Now()
	b.proc = b.ns.Start(t, binary, "up", "--config", filepath.Join(b.dir, "stt0.toml"))
	for {
		if _, err := a.ns.ExecErr("ping", "-c", "1", "-W", "0.2", b.overlay.String()); err == nil {
			break
		}
		require.Less(t, time.Since(start), 2*time.Second, "no traffic 2 s after b's return; b's log:\n%s", tail(b.proc.Output(), 2000))
	}
	t.Logf("traffic again %v after b's restart", time.Since(start).Round(time.Millisecond))
	b.mustPing(a.overlay)
}

func TestE2ESpoofedInnerSource(t *testing.T) {
	a, b := pair(t)
	// b gives itself an address a never allowed for it, and uses it as source.
	b.ns.Exec(t, "ip", "addr", "add", "10.77.0.99/32", "dev", "stt0")
	out, err := b.ns.ExecErr("ping", "-c", "3", "-i", "0.2", "-W", "1", "-I", "10.77.0.99", a.overlay.String())
	require.Error(t, err, "spoofed pings must not be answered: %s", out)
	st := a.waitStatus(func(st *statusReply) bool { return st.Status.Peers[0].Drops["inner_source"] >= 3 }, "spoofed packets not counted")
	require.Equal(t, uint64(3), st.Status.Peers[0].Drops["inner_source"])
	// And genuine traffic still flows.
	b.mustPing(a.overlay)
}

func TestE2EStatus(t *testing.T) {
	a, b := pair(t)
	a.mustPing(b.overlay)
	st, err := a.status()
	require.NoError(t, err)
	require.Equal(t, "stt0", st.Interface)
	require.Len(t, st.Status.Peers, 1)
	p := st.Status.Peers[0]
	require.Equal(t, "b", p.Name)
	require.True(t, p.Connected)
	require.Equal(t, b.key.PublicKey(), p.PublicKey)
	require.Equal(t, direct(b), p.Endpoint)
	require.GreaterOrEqual(t, p.TxPackets, uint64(3))
	require.GreaterOrEqual(t, p.RxPackets, uint64(3))
	require.GreaterOrEqual(t, p.TxBytes, uint64(3*84), "three 84-byte echo requests at least")
	require.GreaterOrEqual(t, p.RxBytes, uint64(3*84), "three 84-byte echo replies at least")
	require.Positive(t, p.KeyEpoch)
	require.False(t, p.LastHandshake.IsZero())
	require.Equal(t, uint16(51820), st.Status.ListenPort)

	human := a.ns.Exec(t, binary, "status", "--socket", a.socket())
	for _, want := range []string{"interface: stt0", "peer: b", "endpoint: " + direct(b), "latest handshake:", "transfer:", "allowed ips: 10.77.0.2/32, fd77::2/128"} {
		require.Contains(t, human, want)
	}
}

func TestE2EDown(t *testing.T) {
	a, _ := pair(t)
	out := a.ns.Exec(t, binary, "down", "--socket", a.socket())
	require.Contains(t, out, "stopped")
	require.NoError(t, a.proc.Wait(context.Background()))
	_, err := os.Stat(a.socket())
	require.ErrorIs(t, err, os.ErrNotExist, "control socket removed")
	_, err = a.ns.ExecErr("ip", "link", "show", "stt0")
	require.Error(t, err, "stt0 removed")
	out, err = a.ns.ExecErr(binary, "status", "--socket", a.socket())
	require.Error(t, err)
	require.Contains(t, out, "no stt-tun is running")
}

// Each kind of bad configuration: stt-tun up exits non-zero, names the
// fault, and leaves no device, route or socket behind.
func TestE2EBadConfig(t *testing.T) {
	netnstest.RequireRoot(t)
	other, _ := stc.GeneratePrivateKey()
	otherPub := other.PublicKey().String()
	tests := []struct {
		name   string
		edit   func(cfg string) string
		setup  func(h *host)
		expect []string
	}{
		{"unknown key", func(c string) string { return strings.Replace(c, "mtu = 1420", "mtu = 1420\nmtux = 1", 1) }, nil,
			[]string{"mtux"}},
		{"bad public key", func(c string) string {
			return strings.Replace(c, `public_key = "`, `public_key = "x`, 1)
		}, nil, []string{"public_key"}},
		{"overlapping allowed ips", func(c string) string {
			return c + fmt.Sprintf("\n[[peer]]\nname = \"dup\"\npublic_key = %q\nallowed_ips = [\"10.77.0.2/32\"]\n", otherPub)
		}, nil, []string{"10.77.0.2/32"}},
		{"missing key file", func(c string) string {
			return strings.Replace(c, `private_key_file = "private.key"`, `private_key_file = "nowhere.key"`, 1)
		}, nil, []string{"nowhere.key"}},
		{"mtu out of range", func(c string) string { return strings.Replace(c, "mtu = 1420", "mtu = 100", 1) }, nil,
			[]string{"mtu"}},
		{"secret readable by others", nil, func(h *host) {
			require.NoError(t, os.Chmod(filepath.Join(h.dir, "private.key"), 0o644))
		}, []string{"chmod 600"}},
		{"syntax error", func(c string) string { return c + "\n[[peer\n" }, nil, []string{"stt0.toml"}},
		{"interface name taken", nil, func(h *host) {
			h.ns.Exec(t, "ip", "link", "add", "stt0", "type", "veth", "peer", "name", "sttx")
		}, []string{"stt0", "in use"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, p := newHost(t, "bad", 1), newHost(t, "peer", 2)
			h.t, p.t = t, t
			h.peers = []*host{p}
			p.underlay = netip.MustParseAddr("10.200.9.2")
			path := h.config(direct)
			if tt.edit != nil {
				data, err := os.ReadFile(path)
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(path, []byte(tt.edit(string(data))), 0o600))
			}
			if tt.setup != nil {
				tt.setup(h)
			}
			linksBefore := h.ns.Exec(t, "ip", "-o", "link")
			out, err := h.ns.ExecErr(binary, "up", "--config", path)
			var ee *exec.ExitError
			require.ErrorAs(t, err, &ee, "up must fail: %s", out)
			require.NotZero(t, ee.ExitCode())
			for _, want := range tt.expect {
				require.Contains(t, out, want)
			}
			require.Equal(t, linksBefore, h.ns.Exec(t, "ip", "-o", "link"), "a device was left behind")
			require.Empty(t, strings.TrimSpace(h.ns.Exec(t, "ip", "route", "show", "dev", "lo", "table", "main")+
				routesVia(t, h, "stt0")), "a route was left behind")
			_, err = os.Stat(h.socket())
			require.ErrorIs(t, err, os.ErrNotExist, "the control socket was left behind")
		})
	}
}

func routesVia(t *testing.T, h *host, dev string) string {
	out, err := h.ns.ExecErr("ip", "route", "show", "dev", dev)
	if err != nil {
		return "" // no such device: no route through it either
	}
	return out
}

// Peers change while stt-tun runs: `stt-tun reload` adds one, SIGHUP removes it.
func TestE2EReload(t *testing.T) {
	a, b, c := newHost(t, "a", 1), newHost(t, "b", 2), newHost(t, "c", 3)
	link(t, a, b, 1)
	link(t, a, c, 2)
	a.peers, b.peers, c.peers = []*host{b}, []*host{a}, []*host{a}
	eps := func(h *host) func(p *host) string {
		return func(p *host) string {
			if h == c || p == c {
				if h == c {
					return "10.200.2.1:51820"
				}
				return "10.200.2.2:51820"
			}
			return direct(p)
		}
	}
	a.up(eps(a))
	b.up(eps(b))
	c.up(eps(c))
	a.waitConnected(1)
	out, err := a.ping(c.overlay)
	require.Error(t, err, "c is no peer of a yet: %s", out)

	a.peers = []*host{b, c}
	a.config(eps(a))
	out = a.ns.Exec(t, binary, "reload", "--socket", a.socket())
	require.Contains(t, out, "reloaded 2 peers")
	a.waitConnected(2)
	a.mustPing(c.overlay)
	a.mustPing(b.overlay) // b's session was kept

	a.peers = []*host{b}
	a.config(eps(a))
	require.NoError(t, syscall.Kill(a.proc.Pid(), syscall.SIGHUP))
	a.waitStatus(func(st *statusReply) bool { return len(st.Status.Peers) == 1 }, "SIGHUP did not remove c")
	out, err = a.ping(c.overlay)
	require.Error(t, err, "c was removed: %s", out)
	a.mustPing(b.overlay)
}

func TestE2EMetrics(t *testing.T) {
	netnstest.RequireTool(t, "curl")
	a, b := newHost(t, "a", 1), newHost(t, "b", 2)
	link(t, a, b, 1)
	a.peers, b.peers = []*host{b}, []*host{a}
	a.metrics = "127.0.0.1:9586"
	a.up(direct)
	b.up(direct)
	a.waitConnected(1)
	a.mustPing(b.overlay)
	out := a.ns.Exec(t, "curl", "-sS", "--max-time", "5", "http://127.0.0.1:9586/metrics")
	pub := b.key.PublicKey()
	labels := fmt.Sprintf(`{interface="stt0",peer="b",public_key="%s"}`, pub.String())
	require.Contains(t, out, "stt_peer_connected"+labels+" 1")
	require.Regexp(t, `stt_peer_sent_packets_total`+regexpQuote(labels)+` [1-9]`, out)
	require.Regexp(t, `stt_peer_received_packets_total`+regexpQuote(labels)+` [1-9]`, out)
}

func regexpQuote(s string) string {
	r := strings.NewReplacer(`{`, `\{`, `}`, `\}`, `+`, `\+`, `/`, `\/`, `.`, `\.`)
	return r.Replace(s)
}

// The README's first command, as a newcomer runs it.
func TestE2EDemo(t *testing.T) {
	netnstest.RequireRoot(t)
	before, err := os.ReadDir("/run/netns")
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	out, err := exec.Command(binary, "demo", "--duration", "1s").CombinedOutput()
	require.NoError(t, err, "%s", out)
	for _, want := range []string{"handshake:", "5/5 replies", "1/1 replies", "all bytes arrived", "no drops", "removed:"} {
		require.Contains(t, string(out), want)
	}
	after, err := os.ReadDir("/run/netns")
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, e := range after {
		require.False(t, strings.HasPrefix(e.Name(), "stt-demo-"), "demo left namespace %s (before: %d entries)", e.Name(), len(before))
	}
}
