package tunnelbench

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// readTestdata returns a file of testdata/.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

// The files under testdata/iperf3 are iperf3 3.12 output (tcp1, tcp4, udp,
// error-refused: real runs over loopback) and edits of it made with jq
// (the rest), one per way a run can fail to give a figure.
func TestParseIperf3(t *testing.T) {
	for _, tt := range []struct {
		file    string
		want    iperf3Result
		wantErr error
	}{
		{file: "tcp1.json", want: iperf3Result{
			Protocol: "TCP", Streams: 1, ReceivedBitsPerSecond: 17277110166.316116, Retransmits: 36,
		}},
		{file: "tcp4.json", want: iperf3Result{
			Protocol: "TCP", Streams: 4, ReceivedBitsPerSecond: 18261583210.82314, Retransmits: 3,
		}},
		{file: "udp.json", want: iperf3Result{
			Protocol: "UDP", Streams: 1, ReceivedBitsPerSecond: 49952009.21423087,
			Packets: 4804, JitterMs: 0.006039682692642116,
		}},
		// Before 3.11 the client's end.sum carries the server's counts.
		{file: "udp-before-3.11.json", want: iperf3Result{
			Protocol: "UDP", Streams: 1, ReceivedBitsPerSecond: 49955755.17664434,
			Packets: 4804, LostPackets: 12, LostPercent: 0.2497918401332223, JitterMs: 0.006039682692642116,
		}},
		// A tunnel that drops every datagram is a measurement, not a failure.
		{file: "udp-all-lost.json", want: iperf3Result{
			Protocol: "UDP", Streams: 1, Packets: 4804, LostPackets: 4804, LostPercent: 100,
			JitterMs: 0.006039682692642116,
		}},
		{file: "error-refused.json", wantErr: errIperf3Failed},
		{file: "truncated.json", wantErr: errNoResult},
		{file: "tcp-nothing-received.json", wantErr: errNoResult},
		{file: "udp-impossible-loss.json", wantErr: errNoResult},
		{file: "sctp.json", wantErr: errNoResult},
	} {
		t.Run(tt.file, func(t *testing.T) {
			got, err := parseIperf3(readTestdata(t, filepath.Join("iperf3", tt.file)))
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				require.Zero(t, got)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestParseIperf3Messages(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
	}{
		{"empty", ``, "iperf3 output is not its JSON"},
		{"error", `{"error": "unable to connect to server: Connection refused"}`, "iperf3 reported an error: unable to connect to server: Connection refused"},
		{"no start", `{"end": {}}`, "no start.test_start"},
		{"zero streams", `{"start": {"test_start": {"protocol": "TCP", "num_streams": 0}}}`, "num_streams 0"},
		{"fraction of a stream", `{"start": {"test_start": {"protocol": "TCP", "num_streams": 1.5}}}`, "num_streams 1.5"},
		{"tcp without end", `{"start": {"test_start": {"protocol": "TCP", "num_streams": 1}}}`, "no end.sum_received"},
		{"udp without end", `{"start": {"test_start": {"protocol": "UDP", "num_streams": 1}}}`, "no end.sum_received or end.sum"},
		{"udp sent nothing", `{"start": {"test_start": {"protocol": "UDP", "num_streams": 1}}, "end": {"sum": {"packets": 0}}}`, "sent 0 datagrams"},
		{"negative retransmits", `{"start": {"test_start": {"protocol": "TCP", "num_streams": 1}}, "end": {"sum_sent": {"retransmits": -1}, "sum_received": {"seconds": 1, "bits_per_second": 1e9}}}`, "retransmits -1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseIperf3([]byte(tt.in))
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestParsePing(t *testing.T) {
	for _, tt := range []struct {
		file    string
		want    pingResult
		wantErr error
	}{
		{file: "all-replies.txt", want: pingResult{
			Transmitted: 5, Received: 5, MinMs: 0.036, AvgMs: 0.043, MaxMs: 0.046, MdevMs: 0.003,
		}},
		{file: "some-lost.txt", want: pingResult{
			Transmitted: 50, Received: 47, LossPercent: 6, MinMs: 0.112, AvgMs: 0.187, MaxMs: 0.642, MdevMs: 0.081,
		}},
		{file: "busybox.txt", want: pingResult{
			Transmitted: 5, Received: 5, MinMs: 0.051, AvgMs: 0.066, MaxMs: 0.089,
		}},
		{file: "none-answered.txt", wantErr: errNoReplies},
		{file: "unreachable.txt", wantErr: errNoResult},
		{file: "rtt-out-of-order.txt", wantErr: errNoResult},
	} {
		t.Run(tt.file, func(t *testing.T) {
			got, err := parsePing(readTestdata(t, filepath.Join("ping", tt.file)))
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				require.Zero(t, got)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestParseVmHWM(t *testing.T) {
	for _, tt := range []struct {
		name    string
		in      []byte
		want    int64
		wantErr bool
	}{
		{"proc status", readTestdata(t, "proc/status.txt"), 2140 << 10, false},
		{"alone", []byte("VmHWM:\t   18432 kB\n"), 18432 << 10, false},
		{"missing", []byte("Name:\tstt-tun\nVmRSS:\t  100 kB\n"), 0, true},
		{"zero", []byte("VmHWM:\t0 kB\n"), 0, true},
		{"overflow", []byte("VmHWM:\t99999999999999999999 kB\n"), 0, true},
		{"other unit", []byte("VmHWM:\t100 MB\n"), 0, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseVmHWM(tt.in)
			if tt.wantErr {
				require.ErrorIs(t, err, errNoResult)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func FuzzParseIperf3(f *testing.F) {
	for _, name := range []string{"tcp1.json", "tcp4.json", "udp.json", "udp-before-3.11.json", "error-refused.json"} {
		f.Add(readTestdata(f, filepath.Join("iperf3", name)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := parseIperf3(data)
		if err != nil {
			require.Zero(t, r)
			return
		}
		require.GreaterOrEqual(t, r.Streams, 1)
		require.False(t, math.IsNaN(r.ReceivedBitsPerSecond) || math.IsInf(r.ReceivedBitsPerSecond, 0))
		switch r.Protocol {
		case "TCP":
			require.Greater(t, r.ReceivedBitsPerSecond, 0.0)
			require.GreaterOrEqual(t, r.Retransmits, int64(0))
			require.Zero(t, r.Packets)
		case "UDP":
			require.GreaterOrEqual(t, r.ReceivedBitsPerSecond, 0.0)
			require.Positive(t, r.Packets)
			require.GreaterOrEqual(t, r.LostPackets, int64(0))
			require.LessOrEqual(t, r.LostPackets, r.Packets)
			require.True(t, r.LostPercent >= 0 && r.LostPercent <= 100, "loss %v %%", r.LostPercent)
			require.True(t, r.JitterMs >= 0 && !math.IsInf(r.JitterMs, 0), "jitter %v ms", r.JitterMs)
		default:
			t.Fatalf("accepted protocol %q", r.Protocol)
		}
	})
}

func FuzzParsePing(f *testing.F) {
	for _, name := range []string{"all-replies.txt", "some-lost.txt", "busybox.txt", "none-answered.txt"} {
		f.Add(readTestdata(f, filepath.Join("ping", name)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := parsePing(data)
		if err != nil {
			require.Zero(t, r)
			return
		}
		require.Positive(t, r.Received)
		require.LessOrEqual(t, r.Received, r.Transmitted)
		require.True(t, r.LossPercent >= 0 && r.LossPercent <= 100, "loss %v %%", r.LossPercent)
		require.True(t, r.MinMs >= 0 && r.MinMs <= r.AvgMs && r.AvgMs <= r.MaxMs && !math.IsInf(r.MaxMs, 0), "%+v", r)
		require.True(t, r.MdevMs >= 0 && !math.IsInf(r.MdevMs, 0), "%+v", r)
	})
}

func FuzzParseVmHWM(f *testing.F) {
	f.Add(readTestdata(f, "proc/status.txt"))
	f.Add([]byte("VmHWM:\t1 kB\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := parseVmHWM(data)
		if err != nil {
			require.Zero(t, n)
			return
		}
		require.Positive(t, n)
		require.Zero(t, n%1024, "bytes %d not a whole number of KiB", n)
	})
}
