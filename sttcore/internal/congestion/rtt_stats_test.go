package congestion

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// rfc9002RTT is RFC 9002 §5.3 (and Appendix A.7) transcribed literally, in
// float64 nanoseconds: the slow, obvious version UpdateRTT is checked
// against.
type rfc9002RTT struct {
	firstSample                          bool
	latest, min, smoothed, rttvar, maxAD float64
}

func newRFC9002RTT(initial, maxAckDelay time.Duration) *rfc9002RTT {
	return &rfc9002RTT{
		smoothed: float64(initial),
		rttvar:   float64(initial) / 2,
		maxAD:    float64(maxAckDelay),
	}
}

func (r *rfc9002RTT) update(latestRTT, ackDelay float64) {
	r.latest = latestRTT
	if !r.firstSample {
		r.firstSample = true
		r.min = r.latest
		r.smoothed = r.latest
		r.rttvar = r.latest / 2
		return
	}
	// min_rtt ignores acknowledgment delay.
	r.min = math.Min(r.min, r.latest)
	// Limit ack_delay by max_ack_delay after handshake confirmation.
	ackDelay = math.Min(ackDelay, r.maxAD)
	// Adjust for acknowledgment delay if plausible.
	adjusted := r.latest
	if r.latest >= r.min+ackDelay {
		adjusted = r.latest - ackDelay
	}
	r.rttvar = 3.0/4*r.rttvar + 1.0/4*math.Abs(r.smoothed-adjusted)
	r.smoothed = 7.0/8*r.smoothed + 1.0/8*adjusted
}

func (r *rfc9002RTT) pto(includeMaxAckDelay bool) float64 {
	p := r.smoothed + math.Max(4*r.rttvar, float64(TimerGranularity))
	if includeMaxAckDelay {
		p += r.maxAD
	}
	return p
}

func requireRTTMatches(t *testing.T, ref *rfc9002RTT, r *RTTStats, step int) {
	t.Helper()
	// Integer steps truncate; the error stays within a few nanoseconds.
	const tol = 16
	require.InDelta(t, ref.smoothed, float64(r.SmoothedRTT()), tol, "smoothed_rtt, step %d", step)
	require.InDelta(t, ref.rttvar, float64(r.MeanDeviation()), tol, "rttvar, step %d", step)
	require.InDelta(t, ref.min, float64(r.MinRTT()), 0, "min_rtt, step %d", step)
	require.InDelta(t, ref.latest, float64(r.LatestRTT()), 0, "latest_rtt, step %d", step)
	require.InDelta(t, ref.pto(true), float64(r.PTO(true)), 5*tol, "PTO, step %d", step)
	require.InDelta(t, ref.pto(false), float64(r.PTO(false)), 5*tol, "PTO, step %d", step)
}

// TestRTTStatsAgainstRFC9002 compares UpdateRTT with the RFC's pseudocode
// over random samples and ack delays, some larger than max_ack_delay and
// some that would take the sample below min_rtt.
func TestRTTStatsAgainstRFC9002(t *testing.T) {
	tests := []struct {
		name        string
		base, jit   time.Duration
		maxAckDelay time.Duration
		ackDelayMax time.Duration
	}{
		{"LAN", 300 * time.Microsecond, 200 * time.Microsecond, DefaultMaxAckDelay, 30 * time.Millisecond},
		{"WAN", 80 * time.Millisecond, 40 * time.Millisecond, DefaultMaxAckDelay, 40 * time.Millisecond},
		{"satellite", 600 * time.Millisecond, 300 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond},
		{"no ack delay", 20 * time.Millisecond, 5 * time.Millisecond, 0, 10 * time.Millisecond},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(i), 9002))
			r := NewRTTStats()
			r.SetMaxAckDelay(tt.maxAckDelay)
			ref := newRFC9002RTT(DefaultInitialRTT, tt.maxAckDelay)
			requireRTTMatches(t, ref, r, -1) // before any sample: min and latest are 0
			for step := range 2000 {
				sample := tt.base + time.Duration(rng.Int64N(int64(tt.jit)))
				ackDelay := time.Duration(rng.Int64N(int64(tt.ackDelayMax)))
				r.UpdateRTT(sample, ackDelay)
				ref.update(float64(sample), float64(ackDelay))
				requireRTTMatches(t, ref, r, step)
			}
		})
	}
}

func TestRTTStatsRules(t *testing.T) {
	ms := time.Millisecond
	type sample struct{ rtt, ackDelay time.Duration }
	tests := []struct {
		name                              string
		samples                           []sample
		wantLatest, wantMin, wantSmoothed time.Duration
		wantRTTVar                        time.Duration
		wantHasMeasurement                bool
		wantPTOWithDelay, wantPTOWithout  time.Duration
	}{
		{
			name:             "no sample",
			wantSmoothed:     DefaultInitialRTT,
			wantRTTVar:       DefaultInitialRTT / 2,
			wantPTOWithout:   3 * DefaultInitialRTT,
			wantPTOWithDelay: 3*DefaultInitialRTT + DefaultMaxAckDelay,
		},
		{
			name:       "first sample ignores ack delay",
			samples:    []sample{{100 * ms, 20 * ms}},
			wantLatest: 100 * ms, wantMin: 100 * ms, wantSmoothed: 100 * ms, wantRTTVar: 50 * ms,
			wantHasMeasurement: true,
			wantPTOWithout:     300 * ms, wantPTOWithDelay: 325 * ms,
		},
		{
			name:    "ack delay subtracted",
			samples: []sample{{100 * ms, 0}, {120 * ms, 20 * ms}},
			// adjusted 100: rttvar 3/4·50 + 1/4·0, smoothed 100
			wantLatest: 120 * ms, wantMin: 100 * ms, wantSmoothed: 100 * ms, wantRTTVar: 37500 * time.Microsecond,
			wantHasMeasurement: true,
			wantPTOWithout:     250 * ms, wantPTOWithDelay: 275 * ms,
		},
		{
			name:    "ack delay not subtracted below min_rtt",
			samples: []sample{{100 * ms, 0}, {110 * ms, 20 * ms}},
			// 110 − 20 < 100: adjusted stays 110; smoothed 100 + 10/8
			wantLatest: 110 * ms, wantMin: 100 * ms, wantSmoothed: 101250 * time.Microsecond, wantRTTVar: 40 * ms,
			wantHasMeasurement: true,
			wantPTOWithout:     261250 * time.Microsecond, wantPTOWithDelay: 286250 * time.Microsecond,
		},
		{
			name:    "ack delay capped at max_ack_delay",
			samples: []sample{{100 * ms, 0}, {200 * ms, 80 * ms}},
			// only 25 ms of the 80 are subtracted: adjusted 175
			wantLatest: 200 * ms, wantMin: 100 * ms, wantSmoothed: 109375 * time.Microsecond, wantRTTVar: 56250 * time.Microsecond,
			wantHasMeasurement: true,
			wantPTOWithout:     334375 * time.Microsecond, wantPTOWithDelay: 359375 * time.Microsecond,
		},
		{
			name:    "min_rtt uses the raw sample",
			samples: []sample{{100 * ms, 0}, {60 * ms, 30 * ms}},
			// min 60; 60 − 60 < 25: not adjusted
			wantLatest: 60 * ms, wantMin: 60 * ms, wantSmoothed: 95 * ms, wantRTTVar: 47500 * time.Microsecond,
			wantHasMeasurement: true,
			wantPTOWithout:     285 * ms, wantPTOWithDelay: 310 * ms,
		},
		{
			name:         "samples of zero and below are ignored",
			samples:      []sample{{0, 0}, {-time.Second, 0}},
			wantSmoothed: DefaultInitialRTT, wantRTTVar: DefaultInitialRTT / 2,
			wantPTOWithout: 3 * DefaultInitialRTT, wantPTOWithDelay: 3*DefaultInitialRTT + DefaultMaxAckDelay,
		},
		{
			name:       "negative ack delay counts as zero",
			samples:    []sample{{100 * ms, 0}, {100 * ms, -50 * ms}},
			wantLatest: 100 * ms, wantMin: 100 * ms, wantSmoothed: 100 * ms, wantRTTVar: 37500 * time.Microsecond,
			wantHasMeasurement: true,
			wantPTOWithout:     250 * ms, wantPTOWithDelay: 275 * ms,
		},
		{
			name:       "granularity bounds the variance term",
			samples:    []sample{{100 * time.Microsecond, 0}},
			wantLatest: 100 * time.Microsecond, wantMin: 100 * time.Microsecond, wantSmoothed: 100 * time.Microsecond,
			wantRTTVar: 50 * time.Microsecond, wantHasMeasurement: true,
			wantPTOWithout: 1100 * time.Microsecond, wantPTOWithDelay: 26100 * time.Microsecond,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRTTStats()
			for _, s := range tt.samples {
				r.UpdateRTT(s.rtt, s.ackDelay)
			}
			require.Equal(t, tt.wantHasMeasurement, r.HasMeasurement())
			require.Equal(t, tt.wantLatest, r.LatestRTT(), "latest")
			require.Equal(t, tt.wantMin, r.MinRTT(), "min")
			require.Equal(t, tt.wantSmoothed, r.SmoothedRTT(), "smoothed")
			require.Equal(t, tt.wantRTTVar, r.MeanDeviation(), "rttvar")
			require.Equal(t, tt.wantPTOWithout, r.PTO(false), "PTO")
			require.Equal(t, tt.wantPTOWithDelay, r.PTO(true), "PTO with max_ack_delay")
		})
	}
}

func TestRTTStatsInitialRTT(t *testing.T) {
	var zero RTTStats // the zero value works, with max_ack_delay 0
	require.Equal(t, DefaultInitialRTT, zero.SmoothedRTT())
	require.Equal(t, 3*DefaultInitialRTT, zero.PTO(true))

	r := NewRTTStats()
	r.SetInitialRTT(0) // ignored
	require.Equal(t, DefaultInitialRTT, r.SmoothedRTT())
	r.SetInitialRTT(40 * time.Millisecond)
	require.Equal(t, 40*time.Millisecond, r.SmoothedRTT())
	require.Equal(t, 20*time.Millisecond, r.MeanDeviation())
	require.Equal(t, 120*time.Millisecond+DefaultMaxAckDelay, r.PTO(true))

	r.UpdateRTT(10*time.Millisecond, 0)
	r.SetInitialRTT(time.Second) // a measurement beats any initial value
	require.Equal(t, 10*time.Millisecond, r.SmoothedRTT())

	r.SetMaxAckDelay(-time.Second)
	require.Equal(t, time.Duration(0), r.MaxAckDelay())
}

func TestRTTStatsSaturates(t *testing.T) {
	r := NewRTTStats()
	huge := time.Duration(math.MaxInt64)
	r.UpdateRTT(huge, 0)
	r.UpdateRTT(huge, huge)
	r.UpdateRTT(time.Nanosecond, 0)
	require.Positive(t, r.SmoothedRTT())
	require.Positive(t, r.MeanDeviation())
	require.Equal(t, huge, r.PTO(true))
}

// TestRTTStatsConcurrentReaders is for the race detector: getters run on
// other goroutines while the owner updates.
func TestRTTStatsConcurrentReaders(t *testing.T) {
	r := NewRTTStats()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				_ = r.SmoothedRTT() + r.MinRTT() + r.LatestRTT() + r.MeanDeviation() + r.PTO(true)
			}
		})
	}
	for i := range 1000 {
		r.UpdateRTT(time.Duration(10+i%7)*time.Millisecond, time.Millisecond)
	}
	close(stop)
	wg.Wait()
	require.Equal(t, 10*time.Millisecond, r.MinRTT())
}
