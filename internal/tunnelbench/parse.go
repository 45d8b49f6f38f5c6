package tunnelbench

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
)

// Errors of the parsers, for errors.Is.
var (
	// errIperf3Failed: iperf3 ran but reported an error of its own (in the
	// "error" member of its JSON), e.g. "unable to connect to server".
	errIperf3Failed = errors.New("iperf3 reported an error")
	// errNoResult: the output holds no usable result (it is cut short,
	// lacks the summary, or its figures are impossible).
	errNoResult = errors.New("no usable result")
	// errNoReplies: ping got no answer at all.
	errNoReplies = errors.New("no echo reply")
)

// iperf3Result is what one iperf3 client run (iperf3 -c ... -J) measured.
type iperf3Result struct {
	Protocol string // "TCP" or "UDP"
	Streams  int    // parallel streams (-P)
	// ReceivedBitsPerSecond is the rate the receiver counted, all streams
	// together (bits of payload per second).
	ReceivedBitsPerSecond float64
	// Retransmits counts the TCP sender's retransmissions (0 for UDP).
	Retransmits int64
	// UDP only: datagrams sent, datagrams the receiver never saw, the
	// second as a percentage of the first, and the receiver's jitter.
	Packets     int64
	LostPackets int64
	LostPercent float64
	JitterMs    float64
}

// iperf3JSON is the part of iperf3's -J output that parseIperf3 reads.
// iperf3 writes counters as JSON numbers that may come out in exponent
// form, so every number is read as a float64.
type iperf3JSON struct {
	Start struct {
		TestStart *struct {
			Protocol   string  `json:"protocol"`
			NumStreams float64 `json:"num_streams"`
		} `json:"test_start"`
	} `json:"start"`
	End struct {
		Sum         *iperf3Sum `json:"sum"`          // UDP
		SumSent     *iperf3Sum `json:"sum_sent"`     // TCP; UDP since 3.11
		SumReceived *iperf3Sum `json:"sum_received"` // TCP; UDP since 3.11
	} `json:"end"`
	Error string `json:"error"`
}

// iperf3Sum is one of the end sums of iperf3's JSON.
type iperf3Sum struct {
	Seconds       float64 `json:"seconds"`
	BitsPerSecond float64 `json:"bits_per_second"`
	Retransmits   float64 `json:"retransmits"`
	JitterMs      float64 `json:"jitter_ms"`
	LostPackets   float64 `json:"lost_packets"`
	Packets       float64 `json:"packets"`
	LostPercent   float64 `json:"lost_percent"`
}

// parseIperf3 reads the JSON iperf3 -J writes on standard output. It fails
// with errIperf3Failed when iperf3 reports an error, and with errNoResult
// when the output lacks a figure or holds an impossible one (a TCP run
// that moved no data, a UDP run that sent no datagram, a loss outside
// 0..100 %), so that a broken measurement can never read as a zero.
func parseIperf3(data []byte) (iperf3Result, error) {
	var j iperf3JSON
	if err := json.Unmarshal(data, &j); err != nil {
		return iperf3Result{}, fmt.Errorf("%w: iperf3 output is not its JSON (%w): %q", errNoResult, err, abbreviate(data))
	}
	if j.Error != "" {
		return iperf3Result{}, fmt.Errorf("%w: %s", errIperf3Failed, j.Error)
	}
	ts := j.Start.TestStart
	if ts == nil {
		return iperf3Result{}, fmt.Errorf("%w: iperf3 JSON has no start.test_start", errNoResult)
	}
	if ts.NumStreams < 1 || ts.NumStreams > math.MaxInt32 || ts.NumStreams != math.Trunc(ts.NumStreams) {
		return iperf3Result{}, fmt.Errorf("%w: iperf3 num_streams %v", errNoResult, ts.NumStreams)
	}
	r := iperf3Result{Protocol: ts.Protocol, Streams: int(ts.NumStreams)}
	switch ts.Protocol {
	case "TCP":
		return parseIperf3TCP(r, &j)
	case "UDP":
		return parseIperf3UDP(r, &j)
	default:
		return iperf3Result{}, fmt.Errorf("%w: iperf3 protocol %q, want TCP or UDP", errNoResult, ts.Protocol)
	}
}

func parseIperf3TCP(r iperf3Result, j *iperf3JSON) (iperf3Result, error) {
	rcv, snt := j.End.SumReceived, j.End.SumSent
	if rcv == nil || snt == nil {
		return iperf3Result{}, fmt.Errorf("%w: iperf3 TCP JSON has no end.sum_received or end.sum_sent", errNoResult)
	}
	if !positive(rcv.BitsPerSecond) || !positive(rcv.Seconds) {
		return iperf3Result{}, fmt.Errorf("%w: iperf3 TCP receiver counted %v bit/s over %v s", errNoResult, rcv.BitsPerSecond, rcv.Seconds)
	}
	if !count(snt.Retransmits) {
		return iperf3Result{}, fmt.Errorf("%w: iperf3 TCP retransmits %v", errNoResult, snt.Retransmits)
	}
	r.ReceivedBitsPerSecond = rcv.BitsPerSecond
	r.Retransmits = int64(snt.Retransmits)
	return r, nil
}

func parseIperf3UDP(r iperf3Result, j *iperf3JSON) (iperf3Result, error) {
	// iperf3 3.11 and later give the receiver's view in sum_received;
	// earlier versions only in sum, which the client then fills from the
	// server's report.
	rcv := j.End.SumReceived
	if rcv == nil {
		rcv = j.End.Sum
	}
	if rcv == nil {
		return iperf3Result{}, fmt.Errorf("%w: iperf3 UDP JSON has no end.sum_received or end.sum", errNoResult)
	}
	switch {
	case !count(rcv.Packets) || rcv.Packets == 0:
		return iperf3Result{}, fmt.Errorf("%w: iperf3 UDP sent %v datagrams", errNoResult, rcv.Packets)
	case !count(rcv.LostPackets) || rcv.LostPackets > rcv.Packets:
		return iperf3Result{}, fmt.Errorf("%w: iperf3 UDP lost %v of %v datagrams", errNoResult, rcv.LostPackets, rcv.Packets)
	case !(rcv.LostPercent >= 0 && rcv.LostPercent <= 100):
		return iperf3Result{}, fmt.Errorf("%w: iperf3 UDP loss %v %%, want 0..100", errNoResult, rcv.LostPercent)
	case !(rcv.BitsPerSecond >= 0) || math.IsInf(rcv.BitsPerSecond, 0):
		return iperf3Result{}, fmt.Errorf("%w: iperf3 UDP receiver counted %v bit/s", errNoResult, rcv.BitsPerSecond)
	case !(rcv.JitterMs >= 0) || math.IsInf(rcv.JitterMs, 0):
		return iperf3Result{}, fmt.Errorf("%w: iperf3 UDP jitter %v ms", errNoResult, rcv.JitterMs)
	}
	r.ReceivedBitsPerSecond = rcv.BitsPerSecond
	r.Packets = int64(rcv.Packets)
	r.LostPackets = int64(rcv.LostPackets)
	r.LostPercent = rcv.LostPercent
	r.JitterMs = rcv.JitterMs
	return r, nil
}

// pingResult is the summary of one ping(8) run, in iputils' terms.
type pingResult struct {
	Transmitted, Received int
	LossPercent           float64
	// Round-trip times in milliseconds.
	MinMs, AvgMs, MaxMs, MdevMs float64
}

var (
	// "50 packets transmitted, 50 received, 0% packet loss, time 1009ms",
	// maybe with ", +3 duplicates" or ", +2 errors" before the loss.
	pingCountsRE = regexp.MustCompile(`(?m)^(\d+) packets transmitted, (\d+) (?:packets )?received,(?: \+\d+ [a-z]+,)* ([0-9.]+)% packet loss`)
	// "rtt min/avg/max/mdev = 0.031/0.044/0.061/0.006 ms" (iputils) or
	// "round-trip min/avg/max = 0.031/0.044/0.061 ms" (busybox).
	pingRTTRE = regexp.MustCompile(`(?m)^(?:rtt|round-trip) min/avg/max(?:/mdev)? = ([0-9.]+)/([0-9.]+)/([0-9.]+)(?:/([0-9.]+))? ms`)
)

// parsePing reads the summary ping -q prints. It fails with errNoReplies
// when no echo came back and with errNoResult when the summary is missing
// or inconsistent (more replies than requests, min > avg > max).
func parsePing(out []byte) (pingResult, error) {
	m := pingCountsRE.FindSubmatch(out)
	if m == nil {
		return pingResult{}, fmt.Errorf("%w: no ping summary in %q", errNoResult, abbreviate(out))
	}
	var r pingResult
	var err1, err2, err3 error
	r.Transmitted, err1 = strconv.Atoi(string(m[1]))
	r.Received, err2 = strconv.Atoi(string(m[2]))
	r.LossPercent, err3 = strconv.ParseFloat(string(m[3]), 64)
	if err := errors.Join(err1, err2, err3); err != nil {
		return pingResult{}, fmt.Errorf("%w: ping summary %q: %w", errNoResult, m[0], err)
	}
	if r.Transmitted == 0 || r.Received > r.Transmitted || r.LossPercent > 100 {
		return pingResult{}, fmt.Errorf("%w: ping summary %q", errNoResult, m[0])
	}
	if r.Received == 0 {
		return pingResult{}, fmt.Errorf("%w: none to %d echo requests", errNoReplies, r.Transmitted)
	}
	m = pingRTTRE.FindSubmatch(out)
	if m == nil {
		return pingResult{}, fmt.Errorf("%w: ping printed no round-trip times in %q", errNoResult, abbreviate(out))
	}
	ms := [4]float64{}
	for i, s := range m[1:] {
		if s == nil {
			continue // busybox prints no mdev
		}
		v, err := strconv.ParseFloat(string(s), 64)
		if err != nil {
			return pingResult{}, fmt.Errorf("%w: ping round-trip times %q: %w", errNoResult, m[0], err)
		}
		ms[i] = v
	}
	r.MinMs, r.AvgMs, r.MaxMs, r.MdevMs = ms[0], ms[1], ms[2], ms[3]
	if !(r.MinMs <= r.AvgMs && r.AvgMs <= r.MaxMs) || math.IsInf(r.MaxMs, 0) || math.IsInf(r.MdevMs, 0) {
		return pingResult{}, fmt.Errorf("%w: ping round-trip times %q out of order", errNoResult, m[0])
	}
	return r, nil
}

// vmHWMRE matches the peak resident set size line of /proc/PID/status.
var vmHWMRE = regexp.MustCompile(`(?m)^VmHWM:[ \t]+(\d+) kB$`)

// parseVmHWM returns the peak resident set size, in bytes, that a
// /proc/PID/status file records.
func parseVmHWM(status []byte) (int64, error) {
	m := vmHWMRE.FindSubmatch(status)
	if m == nil {
		return 0, fmt.Errorf("%w: no VmHWM line in /proc/PID/status", errNoResult)
	}
	kib, err := strconv.ParseInt(string(m[1]), 10, 64)
	if err != nil || kib <= 0 || kib > math.MaxInt64/1024 {
		return 0, fmt.Errorf("%w: VmHWM %q", errNoResult, m[1])
	}
	return kib * 1024, nil
}

// positive reports whether v is a finite number above zero.
func positive(v float64) bool { return v > 0 && !math.IsInf(v, 0) }

// count reports whether v is a whole number a counter can hold.
func count(v float64) bool { return v >= 0 && v < 1<<62 && v == math.Trunc(v) }

// abbreviate shortens tool output quoted in an error message.
func abbreviate(b []byte) []byte {
	const limit = 300
	b = bytes.TrimSpace(b)
	if len(b) > limit {
		return append(b[:limit:limit], "..."...)
	}
	return b
}
