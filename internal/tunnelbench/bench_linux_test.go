//go:build linux

package tunnelbench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/internal/netnstest"
)

// The testbed's addresses. The underlay is the veth pair (an RFC 5737
// documentation range), the overlay the tunnel; both exist only inside
// the benchmark's own namespaces.
var (
	underlayA = netip.MustParsePrefix("192.0.2.1/24")
	underlayB = netip.MustParsePrefix("192.0.2.2/24")
	overlayA  = netip.MustParsePrefix("10.77.0.1/24")
	overlayB  = netip.MustParsePrefix("10.77.0.2/24")
)

const (
	// listenPort is each daemon's UDP port; iperfPort the iperf3 server's.
	// The namespaces are the benchmark's own, so nothing else holds them.
	listenPort = 51820
	iperfPort  = 5201
	// overlayMTU is the TUN devices' MTU, netbench.sh's OVERLAY_MTU.
	overlayMTU = 1420
	// udpLen is the UDP payload per datagram, netbench.sh's UDP_LEN.
	udpLen = 1300
	// pingCount echoes pingInterval apart (root may go below 0.2 s), as
	// in netbench.sh.
	pingCount    = 50
	pingInterval = 20 * time.Millisecond

	// buildTimeout bounds `go build` of stt-tun.
	buildTimeout = 5 * time.Minute
	// tunnelUpTimeout bounds the wait for the first ping through the
	// tunnel; serverUpTimeout the wait for iperf3 -s to listen.
	tunnelUpTimeout = 20 * time.Second
	serverUpTimeout = 10 * time.Second
	// toolSlack is what an iperf3 or ping run may take beyond its own
	// duration before it is killed as hung.
	toolSlack = 30 * time.Second
	// pollInterval is how often a wait for a condition looks again.
	pollInterval = 50 * time.Millisecond
	// logTail is how much of a daemon's output a failure message quotes.
	logTail = 3000
)

// BenchmarkTunnel measures stt-tun against the raw veth path it runs over,
// in one run, and reports both and their ratios (see the package
// documentation for the setup and the settings):
//
//	sudo go test -run '^$' -bench Tunnel -benchtime 1x ./internal/tunnelbench/
//
// Each iteration measures every figure on the raw path and through the
// tunnel back to back (TCP 1 stream raw, then through stt-tun; TCP 4
// streams raw, then through stt-tun; and so on), so that both figures of
// a ratio share the same moment of a busy machine. With -benchtime Nx the
// reported figures are means over the N iterations.
func BenchmarkTunnel(b *testing.B) {
	netnstest.RequireRoot(b)
	netnstest.RequireTool(b, "ip", "ping", "iperf3", "ss")
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		b.Skipf("needs /dev/net/tun for stt-tun's TUN devices (modprobe tun): %v", err)
	}
	s, err := loadSettings(os.Getenv)
	require.NoError(b, err)
	if s.ProfileDir != "" {
		fi, err := os.Stat(s.ProfileDir)
		require.NoError(b, err, "%s", envProfileDir)
		require.True(b, fi.IsDir(), "%s=%s is not a directory", envProfileDir, s.ProfileDir)
	}

	tb := &testbed{s: s}
	// Registered first, so it runs last: after every other cleanup, none
	// of what the benchmark made may be left.
	b.Cleanup(func() { tb.checkGone(b) })
	tb.dir = b.TempDir()
	tb.bin = s.Binary
	if tb.bin == "" {
		tb.bin = buildSTT(b, tb.dir)
	} else {
		_, err := os.Stat(tb.bin)
		require.NoError(b, err, "%s", envBinary)
	}
	tb.up(b)

	var raw, stt []pathResult
	for b.Loop() {
		r, t := tb.measure(b)
		raw = append(raw, r)
		stt = append(stt, t)
	}
	require.NotEmpty(b, raw, "b.Loop ran no iteration")
	// The table comes first in the log: go test without -v keeps only
	// the first ten lines of a benchmark's output.
	report(b, s, raw, stt, tb.peakRSS(b))
	tb.stop(b)
}

// buildSTT builds ./cmd/stt-tun into dir (without the race detector, as
// released) and returns the binary's path.
func buildSTT(b *testing.B, dir string) string {
	b.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		b.Skipf("needs the go command on $PATH to build stt-tun, or %s set to a built one: %v", envBinary, err)
	}
	bin := filepath.Join(dir, "stt-tun")
	ctx, cancel := context.WithTimeout(b.Context(), buildTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, goTool, "build", "-o", bin, "github.com/seigr/stt-tun/cmd/stt-tun").CombinedOutput()
	require.NoError(b, err, "go build stt-tun:\n%s", out)
	return bin
}

// side is one end of the testbed: a namespace with a veth end, keys and
// an stt-tun daemon.
type side struct {
	name               string // "A" or "B": labels, file names
	ns                 *netnstest.NS
	underlay, overlay  netip.Prefix
	publicKey          string
	proc               *netnstest.Proc
	conf, keyFile, ctl string
}

// testbed is the package documentation's two namespaces with the tunnel up
// and an iperf3 server in B.
type testbed struct {
	s     settings
	dir   string // keys, seed, configurations, control sockets
	bin   string // the stt-tun under test
	a, b  *side
	iperf *netnstest.Proc

	// For checkGone: what must be gone once the benchmark is over.
	namespaces []string
	pids       []int
}

func (tb *testbed) sides() [2]*side { return [2]*side{tb.a, tb.b} }

// up builds the namespaces and the veth pair, starts a daemon on each side
// and the iperf3 server in B, and returns once a ping crosses the tunnel.
func (tb *testbed) up(b *testing.B) {
	b.Helper()
	tb.a = &side{name: "A", ns: netnstest.New(b, "tb-a"), underlay: underlayA, overlay: overlayA}
	tb.b = &side{name: "B", ns: netnstest.New(b, "tb-b"), underlay: underlayB, overlay: overlayB}
	netnstest.Link(b, tb.a.ns, []netip.Prefix{underlayA}, tb.b.ns, []netip.Prefix{underlayB})
	for _, sd := range tb.sides() {
		tb.namespaces = append(tb.namespaces, sd.ns.Name)
	}
	tb.a.ns.Exec(b, "ping", "-c", "1", "-W", "2", underlayB.Addr().String())

	tb.writeKeys(b)
	for _, sd := range tb.sides() {
		peer := tb.a
		if sd == tb.a {
			peer = tb.b
		}
		tb.writeConfig(b, sd, peer)
		args := []string{tb.bin, "up", "--config", sd.conf}
		if tb.s.ProfileDir != "" {
			args = append(args, "--cpuprofile", filepath.Join(tb.s.ProfileDir, sd.name+".pprof"))
		}
		sd.proc = sd.ns.Start(b, args...)
		tb.pids = append(tb.pids, sd.proc.Pid())
	}
	tb.waitTunnel(b)

	tb.iperf = tb.b.ns.Start(b, "iperf3", "-s", "-p", strconv.Itoa(iperfPort))
	tb.pids = append(tb.pids, tb.iperf.Pid())
	tb.waitIperf3Server(b)
}

// writeKeys makes a key per side and the shared seed with stt-tun's own
// genkey, pubkey and genseed.
func (tb *testbed) writeKeys(b *testing.B) {
	b.Helper()
	seed := tb.tool(b, nil, "genseed")
	require.NoError(b, os.WriteFile(filepath.Join(tb.dir, "network.seed"), []byte(seed+"\n"), 0o600))
	for _, sd := range tb.sides() {
		key := tb.tool(b, nil, "genkey")
		sd.keyFile = filepath.Join(tb.dir, sd.name+".key")
		require.NoError(b, os.WriteFile(sd.keyFile, []byte(key+"\n"), 0o600))
		sd.publicKey = tb.tool(b, strings.NewReader(key+"\n"), "pubkey")
	}
}

// tool runs stt-tun with args and returns its standard output, trimmed.
func (tb *testbed) tool(b *testing.B, stdin io.Reader, args ...string) string {
	b.Helper()
	cmd := exec.CommandContext(b.Context(), tb.bin, args...)
	cmd.Stdin = stdin
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(b, err, "stt-tun %s: %s", strings.Join(args, " "), stderr.Bytes())
	s := strings.TrimSpace(string(out))
	require.NotEmpty(b, s, "stt-tun %s printed nothing", strings.Join(args, " "))
	return s
}

// writeConfig writes sd's configuration (the keys of packaging/stt0.toml,
// as scripts/netbench-hook.sh sets them): sd's overlay address, peer's
// public key, underlay endpoint and overlay address.
func (tb *testbed) writeConfig(b *testing.B, sd, peer *side) {
	b.Helper()
	sd.ctl = filepath.Join(tb.dir, sd.name+".sock")
	conf := fmt.Sprintf(`[interface]
name = "stt0"
private_key_file = %q
shared_seed_file = %q
address = [%q]
listen_port = %d
mtu = %d
control_socket = %q
log_level = "warn"

[[peer]]
name = %q
public_key = %q
endpoint = %q
allowed_ips = [%q]
`, sd.keyFile, filepath.Join(tb.dir, "network.seed"), sd.overlay.String(), listenPort, overlayMTU, sd.ctl,
		peer.name, peer.publicKey, netip.AddrPortFrom(peer.underlay.Addr(), listenPort).String(),
		netip.PrefixFrom(peer.overlay.Addr(), 32).String())
	sd.conf = filepath.Join(tb.dir, sd.name+".toml")
	require.NoError(b, os.WriteFile(sd.conf, []byte(conf), 0o600))
}

// waitTunnel pings B's overlay address from A until an echo comes back.
func (tb *testbed) waitTunnel(b *testing.B) {
	b.Helper()
	dst := tb.b.overlay.Addr().String()
	deadline := time.Now().Add(tunnelUpTimeout)
	for {
		tb.requireDaemonsRunning(b, "before the tunnel came up")
		out, err := tb.a.ns.ExecErr("ping", "-c", "1", "-W", "1", dst)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("no ping through the tunnel after %v: %v\n%s\n%s", tunnelUpTimeout, err, out, tb.daemonLogs())
		}
		time.Sleep(pollInterval)
	}
}

// waitIperf3Server polls ss in B until iperf3 -s listens.
func (tb *testbed) waitIperf3Server(b *testing.B) {
	b.Helper()
	deadline := time.Now().Add(serverUpTimeout)
	for {
		select {
		case <-tb.iperf.Done():
			b.Fatalf("iperf3 -s exited at once: %v\n%s", tb.iperf.Wait(b.Context()), tb.iperf.Output())
		default:
		}
		out, err := tb.b.ns.ExecErr("ss", "-Hltn", fmt.Sprintf("sport = :%d", iperfPort))
		if err == nil && strings.TrimSpace(out) != "" {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("iperf3 -s not listening on port %d after %v: %v %s\n%s", iperfPort, serverUpTimeout, err, out, tb.iperf.Output())
		}
		time.Sleep(pollInterval)
	}
}

// requireDaemonsRunning fails the benchmark if a daemon has exited.
func (tb *testbed) requireDaemonsRunning(b *testing.B, when string) {
	b.Helper()
	for _, sd := range tb.sides() {
		select {
		case <-sd.proc.Done():
			b.Fatalf("stt-tun %s exited %s: %v\n%s", sd.name, when, sd.proc.Wait(b.Context()), tb.daemonLogs())
		default:
		}
	}
}

// daemonLogs quotes the end of both daemons' output.
func (tb *testbed) daemonLogs() string {
	var sb strings.Builder
	for _, sd := range tb.sides() {
		fmt.Fprintf(&sb, "stt-tun %s output:\n%s\n", sd.name, tail(sd.proc.Output(), logTail))
	}
	return sb.String()
}

// pathResult holds the figures of one path in one iteration.
type pathResult struct {
	tcp1, tcp4, udp iperf3Result
	ping            pingResult
}

// measure takes every figure on the raw path (A to B's underlay address)
// and through the tunnel (A to B's overlay address), each pair back to
// back, with traffic flowing from A to B.
func (tb *testbed) measure(b *testing.B) (raw, stt pathResult) {
	b.Helper()
	dsts := [2]netip.Addr{tb.b.underlay.Addr(), tb.b.overlay.Addr()}
	var res [2]pathResult
	for i, dst := range dsts {
		res[i].tcp1 = tb.iperf3(b, dst)
		require.Equal(b, 1, res[i].tcp1.Streams)
	}
	for i, dst := range dsts {
		res[i].tcp4 = tb.iperf3(b, dst, "-P", "4")
		require.Equal(b, 4, res[i].tcp4.Streams)
	}
	for i, dst := range dsts {
		res[i].udp = tb.iperf3(b, dst, "-u", "-b", tb.s.UDPRate, "-l", strconv.Itoa(udpLen))
		require.Equal(b, "UDP", res[i].udp.Protocol)
	}
	for i, dst := range dsts {
		res[i].ping = tb.ping(b, dst)
	}
	tb.requireDaemonsRunning(b, "during the measurements")
	return res[0], res[1]
}

// iperf3 runs an iperf3 client in A against the server in B and returns
// what it measured; any failure fails the benchmark.
func (tb *testbed) iperf3(b *testing.B, dst netip.Addr, extra ...string) iperf3Result {
	b.Helper()
	omit := tb.s.Omit
	if slices.Contains(extra, "-u") {
		// UDP has no slow start to leave out, and iperf3 3.12 miscounts
		// UDP loss with -O (netbench.sh does the same).
		omit = 0
	}
	args := append([]string{"iperf3", "-c", dst.String(), "-p", strconv.Itoa(iperfPort),
		"-t", strconv.Itoa(tb.s.Seconds), "-O", strconv.Itoa(omit), "-J", "--connect-timeout", "5000"}, extra...)
	limit := time.Duration(tb.s.Seconds+omit)*time.Second + toolSlack
	return runTool(tb, b, limit, parseIperf3, args...)
}

// ping sends pingCount echoes from A to dst and returns ping's summary.
func (tb *testbed) ping(b *testing.B, dst netip.Addr) pingResult {
	b.Helper()
	args := []string{"ping", "-q", "-c", strconv.Itoa(pingCount),
		"-i", strconv.FormatFloat(pingInterval.Seconds(), 'f', -1, 64), "-W", "1", dst.String()}
	limit := time.Duration(pingCount)*pingInterval + toolSlack
	return runTool(tb, b, limit, parsePing, args...)
}

// runTool runs a measuring tool in A and parses its output; a failure of
// either fails the benchmark, with the daemons' logs.
func runTool[R any](tb *testbed, b *testing.B, limit time.Duration, parse func([]byte) (R, error), args ...string) R {
	b.Helper()
	stdout, stderr, err := runIn(b.Context(), tb.a.ns, limit, args...)
	r, perr := parse(stdout)
	if perr != nil || err != nil {
		cmd := strings.Join(args, " ")
		tb.requireDaemonsRunning(b, "during "+cmd)
		require.NoError(b, perr, "%s\nexit: %v\nstderr: %s\n%s", cmd, err, stderr, tb.daemonLogs())
		require.NoError(b, err, "%s\nstderr: %s", cmd, stderr)
	}
	return r
}

// runIn runs args inside ns and returns its standard output and error
// apart. It kills the command once limit has passed.
func runIn(ctx context.Context, ns *netnstest.NS, limit time.Duration, args ...string) (stdout, stderr []byte, err error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns.Name}, args...)...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	cmd.WaitDelay = time.Second
	// A benchmark binary killed by -timeout runs no cleanup; take the
	// tool down with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	err = cmd.Run()
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("%w (killed after %v): %w", ctx.Err(), limit, err)
	}
	return o.Bytes(), e.Bytes(), err
}

// peakRSS returns each daemon's peak resident set size so far (VmHWM), in
// bytes, A's first. It checks first that the pid still is stt-tun's.
func (tb *testbed) peakRSS(b *testing.B) [2]int64 {
	b.Helper()
	tb.requireDaemonsRunning(b, "before the end")
	want := filepath.Base(tb.bin)
	want = want[:min(len(want), 15)] // the kernel's comm is 15 bytes at most
	var rss [2]int64
	for i, sd := range tb.sides() {
		proc := fmt.Sprintf("/proc/%d/", sd.proc.Pid())
		comm, err := os.ReadFile(proc + "comm")
		require.NoError(b, err)
		require.Equal(b, want, strings.TrimSpace(string(comm)), "pid %d is not stt-tun", sd.proc.Pid())
		status, err := os.ReadFile(proc + "status")
		require.NoError(b, err)
		rss[i], err = parseVmHWM(status)
		require.NoError(b, err)
	}
	return rss
}

// stop stops both daemons, requiring a clean exit on SIGTERM (which also
// completes the CPU profiles), and logs what they printed.
func (tb *testbed) stop(b *testing.B) {
	b.Helper()
	for _, sd := range tb.sides() {
		require.NoError(b, sd.proc.Stop(), "stt-tun %s did not exit cleanly on SIGTERM\n%s", sd.name, tb.daemonLogs())
		if out := strings.TrimSpace(sd.proc.Output()); out != "" {
			b.Logf("stt-tun %s said (log_level warn):\n%s", sd.name, tail(out, logTail))
		}
	}
	if tb.s.ProfileDir != "" {
		for _, sd := range tb.sides() {
			p := filepath.Join(tb.s.ProfileDir, sd.name+".pprof")
			fi, err := os.Stat(p)
			require.NoError(b, err, "CPU profile of stt-tun %s", sd.name)
			require.Positive(b, fi.Size(), "CPU profile %s is empty", p)
			b.Logf("CPU profile of stt-tun %s: go tool pprof %s %s", sd.name, tb.bin, p)
		}
	}
}

// checkGone fails the benchmark if a namespace, a process or the temporary
// directory it made outlived its cleanup.
func (tb *testbed) checkGone(b *testing.B) {
	for _, name := range tb.namespaces {
		if _, err := os.Stat(filepath.Join("/run/netns", name)); !errors.Is(err, fs.ErrNotExist) {
			b.Errorf("namespace %s left behind (stat: %v)", name, err)
		}
	}
	for _, pid := range tb.pids {
		// The pid of a process that is gone may have been reused since;
		// only a process that still runs what the benchmark started counts.
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err == nil && (bytes.Contains(cmdline, []byte(tb.bin)) || bytes.HasPrefix(cmdline, []byte("iperf3\x00"))) {
			b.Errorf("process %d left behind: %q", pid, cmdline)
		}
	}
	if tb.dir != "" {
		if _, err := os.Stat(tb.dir); !errors.Is(err, fs.ErrNotExist) {
			b.Errorf("temporary directory %s left behind (stat: %v)", tb.dir, err)
		}
	}
}

// report hands the means over all iterations to b.ReportMetric and logs
// them as a table with the ratios in words.
func report(b *testing.B, s settings, raw, stt []pathResult, rss [2]int64) {
	b.Helper()
	tcp1 := func(r pathResult) float64 { return r.tcp1.ReceivedBitsPerSecond / 1e9 }
	tcp4 := func(r pathResult) float64 { return r.tcp4.ReceivedBitsPerSecond / 1e9 }
	loss := func(r pathResult) float64 { return r.udp.LostPercent }
	ping := func(r pathResult) float64 { return r.ping.AvgMs }
	pingLoss := func(r pathResult) float64 { return r.ping.LossPercent }
	var (
		raw1, stt1 = mean(raw, tcp1), mean(stt, tcp1)
		raw4, stt4 = mean(raw, tcp4), mean(stt, tcp4)
		rawL, sttL = mean(raw, loss), mean(stt, loss)
		rawP, sttP = mean(raw, ping), mean(stt, ping)
		peakMB     = float64(max(rss[0], rss[1])) / 1e6
	)
	b.ReportMetric(raw1, "raw-tcp1-Gbit/s")
	b.ReportMetric(stt1, "stt-tcp1-Gbit/s")
	b.ReportMetric(stt1/raw1, "stt/raw-tcp1")
	b.ReportMetric(raw4, "raw-tcp4-Gbit/s")
	b.ReportMetric(stt4, "stt-tcp4-Gbit/s")
	b.ReportMetric(stt4/raw4, "stt/raw-tcp4")
	b.ReportMetric(rawL, "raw-udp-loss-%")
	b.ReportMetric(sttL, "stt-udp-loss-%")
	b.ReportMetric(rawP, "raw-ping-ms")
	b.ReportMetric(sttP, "stt-ping-ms")
	b.ReportMetric(peakMB, "stt-peak-rss-MB")

	runs := "1 run"
	if len(raw) > 1 {
		runs = fmt.Sprintf("means of %d runs", len(raw))
	}
	const row = "%-26s %20s %20s %8s\n"
	udpRow := fmt.Sprintf("UDP %s x %d B: loss", s.UDPRate, udpLen)
	var sb strings.Builder
	fmt.Fprintf(&sb, "stt-tun against the raw veth path under it, same namespaces, %s; %d s per iperf3 run\n", runs, s.Seconds)
	fmt.Fprintf(&sb, row, "", "raw veth", "stt-tun", "stt/raw")
	fmt.Fprintf(&sb, row, "TCP, 1 stream", gbit(raw1), gbit(stt1), ratio(stt1, raw1))
	fmt.Fprintf(&sb, row, "TCP, 4 streams", gbit(raw4), gbit(stt4), ratio(stt4, raw4))
	fmt.Fprintf(&sb, row, udpRow, fmt.Sprintf("%.2f %%", rawL), fmt.Sprintf("%.2f %%", sttL), "")
	fmt.Fprintf(&sb, row, fmt.Sprintf("ping avg, %d echoes", pingCount),
		pingCell(rawP, mean(raw, pingLoss)), pingCell(sttP, mean(stt, pingLoss)), ratio(sttP, rawP))
	fmt.Fprintf(&sb, row, "stt-tun peak RSS (VmHWM)", fmt.Sprintf("A %.1f MB", float64(rss[0])/1e6), fmt.Sprintf("B %.1f MB", float64(rss[1])/1e6), "")
	fmt.Fprintf(&sb, "In words: one TCP stream through stt-tun gets %.1f %% of the raw veth throughput, four streams %.1f %%; "+
		"UDP at %s loses %.2f %% through stt-tun (%.2f %% raw); a ping through it takes %.1f times as long as on the raw path.",
		100*stt1/raw1, 100*stt4/raw4, s.UDPRate, sttL, rawL, sttP/rawP)
	b.Log(sb.String())
}

// gbit formats a rate in Gbit/s.
func gbit(v float64) string { return fmt.Sprintf("%.2f Gbit/s", v) }

// pingCell formats an average round trip, with the loss if there was any.
func pingCell(ms, lossPercent float64) string {
	if lossPercent > 0 {
		return fmt.Sprintf("%.3f ms, %.0f %% lost", ms, lossPercent)
	}
	return fmt.Sprintf("%.3f ms", ms)
}

// ratio formats a/b.
func ratio(a, b float64) string { return fmt.Sprintf("%.3f", a/b) }

// mean returns the mean of f over rs.
func mean(rs []pathResult, f func(pathResult) float64) float64 {
	var sum float64
	for _, r := range rs {
		sum += f(r)
	}
	return sum / float64(len(rs))
}

// tail returns the last n bytes of s.
func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
