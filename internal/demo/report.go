package demo

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/seigr/stt-tun/overlay"
)

// pingResult holds the round-trip time of each echo request, in order; a
// negative one was not answered.
type pingResult []time.Duration

func (r pingResult) replies() int {
	n := 0
	for _, rtt := range r {
		if rtt >= 0 {
			n++
		}
	}
	return n
}

// String renders r as "5/5 replies, rtt 0.19 0.11 0.09 0.08 0.10 ms,
// min/avg/max 0.08/0.11/0.19 ms" ("-" for a lost reply, then the loss), or
// with one request as "1/1 replies, rtt 0.12 ms".
func (r pingResult) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d/%d replies", r.replies(), len(r))
	if r.replies() > 0 {
		b.WriteString(", rtt")
		lo, hi, sum := time.Duration(-1), time.Duration(0), time.Duration(0)
		for _, rtt := range r {
			if rtt < 0 {
				b.WriteString(" -")
				continue
			}
			b.WriteString(" " + formatMSBare(rtt))
			if lo < 0 || rtt < lo {
				lo = rtt
			}
			hi = max(hi, rtt)
			sum += rtt
		}
		b.WriteString(" ms")
		if len(r) > 1 {
			avg := sum / time.Duration(r.replies())
			fmt.Fprintf(&b, ", min/avg/max %s/%s/%s ms", formatMSBare(lo), formatMSBare(avg), formatMSBare(hi))
		}
	}
	if lost := len(r) - r.replies(); lost > 0 {
		fmt.Fprintf(&b, ", %d%% loss", lost*100/len(r))
	}
	return b.String()
}

// figures renders the engines' status after the run: packets and bytes
// each way, the session's suite, key epoch and RTT, and every drop counter
// that is not zero.
func figures(a, b overlay.Status) []string {
	if len(a.Peers) == 0 || len(b.Peers) == 0 {
		return []string{"engine figures: a peer is missing from the status"}
	}
	pa, pb := a.Peers[0], b.Peers[0]
	way := func(tx, rx overlay.PeerStatus) string {
		return fmt.Sprintf("%s packets sent, %s received, %s on the wire",
			formatCount(tx.TxPackets), formatCount(rx.RxPackets), formatBytes(tx.WireTxBytes))
	}
	return []string{
		"a -> b: " + way(pa, pb) + "; b -> a: " + way(pb, pa),
		fmt.Sprintf("session: suite %s, key epoch %d, %s; %s",
			pa.Suite, pa.KeyEpoch, handshakeRTT(pa, pb), drops(a, b)),
	}
}

// handshakeRTT renders the round-trip time the handshake measured. Only
// the side that initiated the completed handshake measures it.
func handshakeRTT(a, b overlay.PeerStatus) string {
	if rtt := max(a.RTT, b.RTT); rtt > 0 {
		return "handshake rtt " + formatMS(rtt)
	}
	return "rtt not measured"
}

// drops renders the non-zero drop counters of both engines, or "no drops".
func drops(a, b overlay.Status) string {
	var sides []string
	for _, s := range []struct {
		label string
		st    overlay.Status
	}{{"a", a}, {"b", b}} {
		counts := map[string]uint64{}
		for k, v := range s.st.NodeDrops {
			counts["node "+k] += v
		}
		for _, p := range s.st.Peers {
			for k, v := range p.Drops {
				counts[k] += v
			}
		}
		for k, v := range map[string]uint64{"no_route": s.st.NoRoute, "malformed": s.st.Malformed} {
			if v != 0 {
				counts[k] += v
			}
		}
		if len(counts) == 0 {
			continue
		}
		var kv []string
		for _, k := range slices.Sorted(maps.Keys(counts)) {
			kv = append(kv, fmt.Sprintf("%s %s", k, formatCount(counts[k])))
		}
		sides = append(sides, s.label+": "+strings.Join(kv, ", "))
	}
	if len(sides) == 0 {
		return "no drops"
	}
	return "drops " + strings.Join(sides, "; ")
}

// removedLine says what teardown removed, e.g. "removed: namespaces
// stt-demo-1234-0a1b2c3d-a and -b, the veth pair, both stt0 devices", or ""
// when nothing was.
func removedLine(namespaces []string, veth bool, devices int) string {
	var parts []string
	switch len(namespaces) {
	case 0:
	case 1:
		parts = append(parts, "namespace "+namespaces[0])
	default:
		others := make([]string, 0, len(namespaces)-1)
		for _, n := range namespaces[1:] {
			others = append(others, n[strings.LastIndexByte(n, '-'):])
		}
		parts = append(parts, fmt.Sprintf("namespaces %s and %s", namespaces[0], strings.Join(others, ", ")))
	}
	if veth {
		parts = append(parts, "the veth pair")
	}
	switch devices {
	case 0:
	case 1:
		parts = append(parts, "one "+tunName+" device")
	case 2:
		parts = append(parts, "both "+tunName+" devices")
	default:
		parts = append(parts, fmt.Sprintf("%d %s devices", devices, tunName))
	}
	if len(parts) == 0 {
		return ""
	}
	return "removed: " + strings.Join(parts, ", ")
}

// formatCount writes n with its digits grouped by three: "520 431".
func formatCount(n uint64) string {
	s := strconv.FormatUint(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// formatBytes writes n in decimal units: "512 B", "1.5 kB", "715 MB", "1.23 GB".
func formatBytes(n uint64) string {
	switch {
	case n < 1e3:
		return fmt.Sprintf("%d B", n)
	case n < 1e6:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	case n < 1e9:
		return fmt.Sprintf("%.0f MB", float64(n)/1e6)
	default:
		return fmt.Sprintf("%.2f GB", float64(n)/1e9)
	}
}

// formatRate writes the rate of n bytes in d as "1.91 Gbit/s" or "850 Mbit/s".
func formatRate(n int64, d time.Duration) string {
	if d <= 0 {
		return "- bit/s"
	}
	bits := float64(n) * 8 / d.Seconds()
	switch {
	case bits >= 1e9:
		return fmt.Sprintf("%.2f Gbit/s", bits/1e9)
	case bits >= 10e6:
		return fmt.Sprintf("%.0f Mbit/s", bits/1e6)
	default:
		return fmt.Sprintf("%.2f Mbit/s", bits/1e6)
	}
}

// formatMS writes d in milliseconds with its unit: "0.11 ms", "2.1 ms".
func formatMS(d time.Duration) string { return formatMSBare(d) + " ms" }

// formatMSBare writes d in milliseconds, two decimals below 10 ms, one
// below 100 ms, none above.
func formatMSBare(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	switch {
	case ms < 10:
		return strconv.FormatFloat(ms, 'f', 2, 64)
	case ms < 100:
		return strconv.FormatFloat(ms, 'f', 1, 64)
	default:
		return strconv.FormatFloat(ms, 'f', 0, 64)
	}
}
