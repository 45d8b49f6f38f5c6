//go:build linux

package netnstest

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// Loss makes ns drop percent % of the packets leaving ifname, chosen at
// random per packet (an nftables rule `numgen random mod 100 < N drop` on
// the postrouting hook, so it applies to forwarded and locally sent packets
// alike). Loss replaces any earlier setting for ifname; Loss(t, ifname, 0)
// removes it. A rule still present at cleanup of t is removed. This is the
// stand-in for netem loss, which this kernel lacks. Loss skips the test
// without nft(8).
func (ns *NS) Loss(t testing.TB, ifname string, percent int) {
	t.Helper()
	if percent < 0 || percent > 100 {
		t.Fatalf("netnstest: Loss %d%%: want 0..100", percent)
	}
	RequireTool(t, "nft")
	if err := ns.setLoss(ifname, percent); err != nil {
		t.Fatalf("netnstest: %v", err)
	}
	if percent > 0 {
		t.Cleanup(func() { _ = ns.setLoss(ifname, 0) })
	}
}

// lossTable names the nftables table that holds the loss rule for ifname.
// Hex keeps any interface name a valid, collision-free identifier.
func lossTable(ifname string) string {
	return "stt_loss_" + hex.EncodeToString([]byte(ifname))
}

// setLoss atomically replaces (or, for 0, removes) the loss table of ifname.
func (ns *NS) setLoss(ifname string, percent int) error {
	table := lossTable(ifname)
	// Declaring the table before deleting it makes the delete succeed
	// whether or not it existed; nft applies the script as one transaction.
	script := fmt.Sprintf("table inet %[1]s\ndelete table inet %[1]s\n", table)
	if percent > 0 {
		match := fmt.Sprintf("numgen random mod 100 < %d ", percent)
		if percent == 100 {
			match = "" // nft refuses "< 100" as outside mod 100's range
		}
		script += fmt.Sprintf(`table inet %[1]s {
	chain postrouting {
		type filter hook postrouting priority filter; policy accept;
		oifname %[2]s %[3]scounter drop
	}
}
`, table, strconv.Quote(ifname), match)
	}
	cmd := exec.Command("ip", "netns", "exec", ns.Name, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("nft loss %d%% on %s in %s: %w: %s", percent, ifname, ns.Name, err, bytes.TrimSpace(out))
	}
	return nil
}

// RateLimit caps the traffic leaving ifname at bitsPerSecond with a tbf
// qdisc (burst: 10 ms of traffic, at least 16 KiB; queue: 100 ms).
// RateLimit(t, ifname, 0) removes the cap, as does cleanup of t.
func (ns *NS) RateLimit(t testing.TB, ifname string, bitsPerSecond int64) {
	t.Helper()
	if bitsPerSecond < 0 {
		t.Fatalf("netnstest: RateLimit %d bit/s: want >= 0", bitsPerSecond)
	}
	RequireTool(t, "tc")
	if bitsPerSecond == 0 {
		ns.removeRateLimit(ifname)
		return
	}
	burst := max(bitsPerSecond/8/100, 16<<10)
	args := []string{"-n", ns.Name, "qdisc", "replace", "dev", ifname, "root", "tbf",
		"rate", strconv.FormatInt(bitsPerSecond, 10) + "bit",
		"burst", strconv.FormatInt(burst, 10),
		"latency", "100ms"}
	if out, err := exec.Command("tc", args...).CombinedOutput(); err != nil {
		t.Fatalf("netnstest: tc %v: %v\n%s", args, err, out)
	}
	t.Cleanup(func() { ns.removeRateLimit(ifname) })
}

// removeRateLimit restores the default qdisc; it is a no-op when none was
// set or the namespace is gone.
func (ns *NS) removeRateLimit(ifname string) {
	_ = exec.Command("tc", "-n", ns.Name, "qdisc", "del", "dev", ifname, "root").Run()
}
