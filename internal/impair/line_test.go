package impair

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The tests in this file drive a line with fake time: they are exact and
// deterministic, whatever the machine's load.

func testLine(t testing.TB, cfg Config) *line {
	t.Helper()
	cfg, err := cfg.validate()
	require.NoError(t, err)
	return newLine(cfg, uint64(Up), newBufPool())
}

// payload returns a datagram that carries i in its first 8 bytes.
func payload(i, size int) []byte {
	b := make([]byte, max(size, 8))
	binary.BigEndian.PutUint64(b, uint64(i))
	for j := 8; j < len(b); j++ {
		b[j] = byte(i + j)
	}
	return b
}

func index(b []byte) int { return int(binary.BigEndian.Uint64(b)) }

// allOut pops everything, however far in the future.
func allOut(l *line) []packet {
	out, _, _ := l.popDue(math.MaxInt64, nil)
	return out
}

// fiveSigma is the tolerance for a binomial count of n trials at p.
func fiveSigma(n int, p float64) float64 {
	return 5 * math.Sqrt(float64(n)*p*(1-p))
}

func TestLinePassThrough(t *testing.T) {
	l := testLine(t, Config{})
	now := time.Duration(0)
	for i := range 200 {
		now += time.Millisecond
		in := payload(i, i*7%1500)
		require.True(t, l.enqueue(now, in, nil), "an empty line's new packet is its head")
		out, _, pending := l.popDue(now, nil)
		require.False(t, pending)
		require.Len(t, out, 1)
		require.Equal(t, in, *out[0].buf)
		require.Equal(t, now, out[0].release)
	}
	// A burst at one instant comes out in arrival order.
	for i := range 100 {
		l.enqueue(now, payload(i, 16), nil)
	}
	out, _, _ := l.popDue(now, nil)
	require.Len(t, out, 100)
	for i, p := range out {
		require.Equal(t, i, index(*p.buf))
	}
	st := l.stats()
	require.Equal(t, uint64(300), st.Received)
	require.Zero(t, st.DroppedLoss+st.DroppedQueue+st.Duplicated+st.Corrupted+st.Reordered)
}

func TestLineLossRate(t *testing.T) {
	const n = 20000
	for _, p := range []float64{0, 0.01, 0.1, 0.5, 0.9, 1} {
		t.Run(fmt.Sprint(p), func(t *testing.T) {
			l := testLine(t, Config{Loss: p, Seed: 7, QueueLimit: 2 * n})
			for i := range n {
				l.enqueue(0, payload(i, 8), nil)
			}
			dropped := l.stats().DroppedLoss
			require.InDelta(t, n*p, float64(dropped), fiveSigma(n, p))
			require.Len(t, allOut(l), n-int(dropped))
		})
	}
}

func TestLineSeedReproducible(t *testing.T) {
	kept := func(seed uint64) []int {
		l := testLine(t, Config{Loss: 0.5, Jitter: time.Millisecond, Seed: seed})
		for i := range 1000 {
			l.enqueue(0, payload(i, 8), nil)
		}
		var idx []int
		for _, p := range allOut(l) {
			idx = append(idx, index(*p.buf))
		}
		return idx
	}
	require.Equal(t, kept(1), kept(1))
	require.NotEqual(t, kept(1), kept(2))
}

func TestLineDuplicate(t *testing.T) {
	const n = 20000
	for _, p := range []float64{0.05, 0.5, 1} {
		t.Run(fmt.Sprint(p), func(t *testing.T) {
			l := testLine(t, Config{Duplicate: p, Seed: 3, QueueLimit: 2 * n})
			for i := range n {
				l.enqueue(0, payload(i, 32), nil)
			}
			dup := int(l.stats().Duplicated)
			require.InDelta(t, n*p, float64(dup), fiveSigma(n, p))
			seen := make(map[int]int)
			for _, pk := range allOut(l) {
				require.Equal(t, payload(index(*pk.buf), 32), *pk.buf, "a copy must equal its original")
				seen[index(*pk.buf)]++
			}
			twice := 0
			for _, c := range seen {
				require.Contains(t, []int{1, 2}, c)
				if c == 2 {
					twice++
				}
			}
			require.Equal(t, n, len(seen))
			require.Equal(t, dup, twice)
		})
	}
}

func TestLineDelayAndJitter(t *testing.T) {
	for _, tt := range []struct {
		name          string
		delay, jitter time.Duration
	}{
		{"delay", 50 * time.Millisecond, 0},
		{"jitter", 0, 20 * time.Millisecond},
		{"both", 30 * time.Millisecond, 5 * time.Millisecond},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := testLine(t, Config{Delay: tt.delay, Jitter: tt.jitter, Seed: 11})
			arrival := make(map[int]time.Duration)
			var now time.Duration
			for i := range 500 {
				now = time.Duration(i) * time.Millisecond
				arrival[i] = now
				l.enqueue(now, payload(i, 8), nil)
				out, _, _ := l.popDue(now, nil)
				for _, p := range out {
					a := arrival[index(*p.buf)]
					require.GreaterOrEqual(t, now, p.release, "released before due")
					require.GreaterOrEqual(t, p.release, a+tt.delay)
					require.Less(t, p.release, a+tt.delay+tt.jitter+1)
				}
			}
			for _, p := range allOut(l) {
				a := arrival[index(*p.buf)]
				require.GreaterOrEqual(t, p.release, a+tt.delay)
				require.Less(t, p.release, a+tt.delay+tt.jitter+1)
			}
		})
	}
}

// inversions counts pairs out of order in seqs.
func inversions(seqs []int) int {
	n := 0
	for i := range seqs {
		for j := i + 1; j < len(seqs); j++ {
			if seqs[i] > seqs[j] {
				n++
			}
		}
	}
	return n
}

// flow sends n datagrams 1 ms apart and returns the order they leave in.
func flow(l *line, n int) []int {
	var order []int
	for i := range n {
		now := time.Duration(i) * time.Millisecond
		l.enqueue(now, payload(i, 8), nil)
		out, _, _ := l.popDue(now, nil)
		for _, p := range out {
			order = append(order, index(*p.buf))
		}
	}
	for _, p := range allOut(l) {
		order = append(order, index(*p.buf))
	}
	return order
}

func TestLineReorder(t *testing.T) {
	const n = 2000
	l := testLine(t, Config{Reorder: 0.25, ReorderDelay: 5 * time.Millisecond, Seed: 5})
	order := flow(l, n)
	require.Len(t, order, n)
	reordered := int(l.stats().Reordered)
	require.InDelta(t, n*0.25, float64(reordered), fiveSigma(n, 0.25))
	require.Positive(t, inversions(order))
	// Each held-back datagram is overtaken by at most the 5 sent during
	// its extra 5 ms.
	require.LessOrEqual(t, inversions(order), 5*reordered)

	// Without Reorder or Jitter, order is kept.
	require.Zero(t, inversions(flow(testLine(t, Config{Delay: 5 * time.Millisecond}), n)))
	// Jitter wider than the spacing reorders by itself.
	require.Positive(t, inversions(flow(testLine(t, Config{Jitter: 10 * time.Millisecond}), n)))
}

func TestLineCorrupt(t *testing.T) {
	const n = 20000
	for _, p := range []float64{0.3, 1} {
		t.Run(fmt.Sprint(p), func(t *testing.T) {
			l := testLine(t, Config{Corrupt: p, Seed: 9, QueueLimit: 2 * n})
			for i := range n {
				l.enqueue(0, payload(i, 64), nil)
			}
			corrupted := int(l.stats().Corrupted)
			require.InDelta(t, n*p, float64(corrupted), fiveSigma(n, p))
			changed := 0
			for i, pk := range allOut(l) {
				diff := 0
				for j, b := range payload(i, 64) {
					if (*pk.buf)[j] != b {
						diff++
					}
				}
				require.LessOrEqual(t, diff, 1, "datagram %d: %d bytes changed", i, diff)
				changed += diff
			}
			require.Equal(t, corrupted, changed)
		})
	}
	t.Run("empty", func(t *testing.T) {
		l := testLine(t, Config{Corrupt: 1})
		l.enqueue(0, nil, nil)
		require.Zero(t, l.stats().Corrupted)
		require.Len(t, allOut(l), 1)
	})
}

func TestLineQueueLimit(t *testing.T) {
	l := testLine(t, Config{QueueLimit: 100, Delay: time.Second})
	for i := range 1000 {
		l.enqueue(0, payload(i, 100), nil)
	}
	st := l.stats()
	require.Equal(t, 100, st.Queued)
	require.Equal(t, 100, st.MaxQueued)
	require.Equal(t, uint64(900), st.DroppedQueue)
	out, _, pending := l.popDue(time.Second-1, nil)
	require.Empty(t, out)
	require.True(t, pending)
	out, _, pending = l.popDue(time.Second, nil)
	require.Len(t, out, 100)
	require.False(t, pending)
	for i, p := range out {
		require.Equal(t, i, index(*p.buf), "the first 100 are kept")
	}
	require.Zero(t, l.stats().Queued)
}

func TestLineQueueBytes(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 64 MiB")
	}
	const size = 60000
	l := testLine(t, Config{Delay: time.Second})
	big := payload(0, size)
	for range 2000 {
		l.enqueue(0, big, nil)
	}
	st := l.stats()
	require.Equal(t, MaxQueueBytes/size, st.Queued)
	require.Equal(t, uint64(2000-st.Queued), st.DroppedQueue)
	require.LessOrEqual(t, l.qBytes, MaxQueueBytes)
	allOut(l)
	require.Zero(t, l.qBytes)
}

func TestLineRate(t *testing.T) {
	const (
		rate = 10000 // B/s
		size = 1000
		n    = 20
	)
	l := testLine(t, Config{RateBps: rate})
	for i := range n {
		l.enqueue(0, payload(i, size), nil)
	}
	out := allOut(l)
	require.Len(t, out, n)
	burst := Config{RateBps: rate}.rateBurst()
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			// Bytes released in (r_i, r_j] never exceed rate*(r_j-r_i)+burst.
			bytes := float64((j - i) * size)
			window := (out[j].release - out[i].release).Seconds()
			require.LessOrEqual(t, bytes, rate*window+burst+1e-6)
		}
	}
	want := time.Duration((n*size - burst) / rate * float64(time.Second))
	require.InDelta(t, float64(want), float64(out[n-1].release), float64(time.Microsecond))

	// After an idle second the bucket is full again: a burst passes at once.
	now := out[n-1].release + time.Second
	l.enqueue(now, payload(0, size), nil)
	got, _, _ := l.popDue(now, nil)
	require.Len(t, got, 1)
}

func TestLineSetConfig(t *testing.T) {
	l := testLine(t, Config{Delay: time.Second})
	l.enqueue(0, payload(0, 8), nil)
	cfg, err := Config{}.validate()
	require.NoError(t, err)
	l.setConfig(cfg)
	require.True(t, l.enqueue(0, payload(1, 8), nil), "undelayed packet overtakes")
	out, next, pending := l.popDue(0, nil)
	require.Len(t, out, 1)
	require.Equal(t, 1, index(*out[0].buf))
	require.True(t, pending)
	require.Equal(t, time.Second, next, "queued packets keep their release time")
	require.Equal(t, DefaultQueueLimit, l.config().QueueLimit)
}

func TestPacketHeap(t *testing.T) {
	// Differential: the heap pops what sorting gives.
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 50 {
		var h packetHeap
		var want []packet
		for i := range rng.IntN(300) {
			p := packet{release: time.Duration(rng.IntN(20)), seq: uint64(i)}
			h.push(p)
			want = append(want, p)
			if rng.IntN(4) == 0 && len(h) > 0 {
				got := h.pop()
				slices.SortFunc(want, cmpPacket)
				require.Equal(t, want[0], got, "round %d", round)
				want = want[1:]
			}
		}
		slices.SortFunc(want, cmpPacket)
		for _, w := range want {
			require.Equal(t, w, h.pop())
		}
		require.Empty(t, h)
	}
}

func cmpPacket(a, b packet) int {
	if a.release != b.release {
		return int(a.release - b.release)
	}
	return int(a.seq) - int(b.seq)
}

func TestLineAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	l := testLine(t, Config{Loss: 0.1, Delay: time.Millisecond, Jitter: time.Millisecond,
		Reorder: 0.1, Duplicate: 0.1, Corrupt: 0.1, RateBps: 1 << 30})
	data := payload(1, 1350)
	var (
		batch []packet
		now   time.Duration
	)
	step := func() {
		now += time.Millisecond
		l.enqueue(now, data, nil)
		batch, _, _ = l.popDue(now, batch[:0])
		for i := range batch {
			l.putBuf(batch[i].buf)
			batch[i] = packet{}
		}
	}
	for range 100 { // grow the heap and batch slices, fill the pool
		step()
	}
	require.Zero(t, testing.AllocsPerRun(1000, step))
}

func BenchmarkLine(b *testing.B) {
	for _, size := range []int{64, 1350, 8192} {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			l := testLine(b, Config{Delay: time.Millisecond, Jitter: time.Millisecond, Loss: 0.01,
				Duplicate: 0.01, Corrupt: 0.01, Reorder: 0.01})
			data := payload(1, size)
			var (
				batch []packet
				now   time.Duration
			)
			b.ReportAllocs()
			b.SetBytes(int64(size))
			for b.Loop() {
				now += time.Microsecond
				l.enqueue(now, data, nil)
				batch, _, _ = l.popDue(now, batch[:0])
				for i := range batch {
					l.putBuf(batch[i].buf)
					batch[i] = packet{}
				}
			}
		})
	}
}
