package replay

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// rejectAfterMessages is the limit STC v1 puts on a key (DESIGN §2: 2^60 messages).
const rejectAfterMessages = 1 << 60

type step struct {
	counter uint64
	limit   uint64
	want    bool
}

// ok and no build steps with the usual limit.
func ok(c uint64) step { return step{c, rejectAfterMessages, true} }
func no(c uint64) step { return step{c, rejectAfterMessages, false} }

func TestValidateCounter(t *testing.T) {
	const (
		W    = WindowSize
		ring = ringBlocks * blockBits // counters one whole ring apart share a bit
		max  = math.MaxUint64
	)
	tests := []struct {
		name  string
		steps []step
	}{
		{"in order", []step{ok(0), ok(1), ok(2), ok(3), ok(64), ok(65)}},
		{"zero is a counter", []step{ok(0), no(0)}},
		{"duplicate", []step{ok(5), no(5), ok(6), no(5), no(6)}},
		{"out of order within window", []step{ok(10), ok(3), ok(7), ok(9), ok(0), no(3), no(10), ok(11)}},
		{"gap filled later", []step{ok(1000), ok(500), ok(999), ok(1), no(500), no(1000)}},
		{"oldest counter still in window", []step{ok(W + 10), ok(10), no(10)}},
		{"one past the window", []step{ok(W + 10), no(9)}},
		{"too old after a jump", []step{ok(1), ok(1_000_000), no(1), no(2), ok(1_000_000 - W)}},
		{"window spans every block", []step{ok(W), ok(0), ok(W / 2), no(W / 2), ok(W + 63), no(0), ok(63)}},
		{"ring slot reused one ring later", []step{ok(100), ok(100 + ring), no(100 + ring), no(100)}},
		{"jump of exactly one block", []step{ok(63), ok(127), ok(64), no(63)}},
		{"jump over the whole ring clears it", []step{ok(5), ok(6), ok(5 + 10*ring), ok(6 + 10*ring), no(5 + 10*ring)}},
		{"large forward jump", []step{ok(1), ok(1 << 50), ok(1<<50 - 1), no(1), no(1 << 50)}},
		{"counter at limit", []step{{rejectAfterMessages, rejectAfterMessages, false}}},
		{"counter above limit", []step{{rejectAfterMessages + 1, rejectAfterMessages, false}, ok(0)}},
		{"rejected counter does not move the window", []step{
			ok(0), {1 << 40, 1 << 30, false}, ok(1), ok(2),
		}},
		{"last counter below limit", []step{
			{rejectAfterMessages - 1, rejectAfterMessages, true},
			{rejectAfterMessages - 1, rejectAfterMessages, false},
			{rejectAfterMessages - 2, rejectAfterMessages, true},
		}},
		{"limit zero rejects everything", []step{{0, 0, false}, {1, 0, false}}},
		{"largest counters", []step{{max - 1, max, true}, {max - 1, max, false}, {max, max, false}, {max - 1 - W, max, true}, {max - 2 - W, max, false}}},
		// The Linux kernel's selftest, as wireguard-go ports it, with T_LIM = W+1.
		{"kernel selftest", []step{
			ok(0), ok(1), no(1), ok(9), ok(8), ok(7), no(7),
			ok(W + 1), ok(W), no(W), ok(W - 1), ok(2), no(2),
			ok(W + 17), no(3), no(W + 17), ok((W + 1) * 4), ok((W+1)*4 - W),
			no(10), no((W + 1) * 3), no((W+1)*4 - (W + 2)), ok((W+1)*4 - (W - 1)),
			no((W+1)*4 + 1 - (W + 1)), no(0),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f Filter
			for i, s := range tt.steps {
				require.Equal(t, s.want, f.ValidateCounter(s.counter, s.limit),
					"step %d: ValidateCounter(%d, %d)", i, s.counter, s.limit)
			}
		})
	}
}

// TestBulk fills a whole window in order and in reverse (the kernel's bulk tests).
func TestBulk(t *testing.T) {
	tests := []struct {
		name  string
		first []uint64 // each is accepted
		then  []step
	}{
		{"ascending from 1, then 0", seq(1, WindowSize), []step{ok(0), no(0)}},
		{"ascending from 2, then 1 and 0", seq(2, WindowSize+1), []step{ok(1), no(0)}},
		{"descending to 1", seq(WindowSize+1, 1), []step{no(0)}},
		{"descending to 2", seq(WindowSize+2, 2), []step{no(0), no(1)}},
		{"descending then forward", seq(WindowSize, 1), []step{ok(WindowSize + 1), no(0)}},
		{"descending then 0 then forward", seq(WindowSize, 1), []step{ok(0), ok(WindowSize + 1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f Filter
			for _, c := range tt.first {
				require.True(t, f.ValidateCounter(c, rejectAfterMessages), "first pass: %d", c)
			}
			for _, c := range tt.first {
				require.False(t, f.ValidateCounter(c, rejectAfterMessages), "replay: %d", c)
			}
			for i, s := range tt.then {
				require.Equal(t, s.want, f.ValidateCounter(s.counter, s.limit), "step %d: %d", i, s.counter)
			}
		})
	}
}

// seq returns the counters from a to b inclusive, counting up or down.
func seq(a, b uint64) []uint64 {
	var s []uint64
	for c := a; ; {
		s = append(s, c)
		if c == b {
			return s
		}
		if a < b {
			c++
		} else {
			c--
		}
	}
}

func TestReset(t *testing.T) {
	var f Filter
	for c := range uint64(3 * WindowSize) {
		require.True(t, f.ValidateCounter(c*7, rejectAfterMessages))
	}
	f.Reset()
	// A reset filter accepts every counter once, whatever the old state held.
	for _, c := range []uint64{0, 7, 64, 70, 700, WindowSize, 2 * WindowSize} {
		require.True(t, f.ValidateCounter(c, rejectAfterMessages), "counter %d after Reset", c)
		require.False(t, f.ValidateCounter(c, rejectAfterMessages), "counter %d twice after Reset", c)
	}
}

// slowFilter is the obvious replay filter: the set of accepted counters and
// the largest of them.
type slowFilter struct {
	seen map[uint64]struct{}
	max  uint64
}

func newSlowFilter() *slowFilter { return &slowFilter{seen: make(map[uint64]struct{})} }

func (s *slowFilter) validate(c, limit uint64) bool {
	if c >= limit {
		return false
	}
	if c < s.max && s.max-c > WindowSize {
		return false
	}
	if _, dup := s.seen[c]; dup {
		return false
	}
	s.seen[c] = struct{}{}
	s.max = max(s.max, c)
	return true
}

// prune forgets counters too old to matter, which changes no answer.
func (s *slowFilter) prune() {
	for c := range s.seen {
		if s.max-c > WindowSize {
			delete(s.seen, c)
		}
	}
}

// TestDifferential checks Filter against slowFilter over a long random
// sequence of counters: in order, reordered, duplicated, too old, over the
// limit, and with forward jumps of every size, plus the odd Reset.
func TestDifferential(t *testing.T) {
	rng := rand.New(rand.NewPCG(6479, 1))
	var f Filter
	slow := newSlowFilter()
	var next uint64 // the next in-order counter
	var history []uint64
	n := 400_000
	if testing.Short() {
		n = 50_000
	}
	accepted := 0
	for i := range n {
		var c uint64
		limit := uint64(rejectAfterMessages)
		switch r := rng.IntN(1000); {
		case r < 500: // in order
			c = next
		case r < 750: // reordered, within or just beyond the window
			c = next - min(next, rng.Uint64N(WindowSize+200))
		case r < 850 && len(history) > 0: // duplicate of something recent
			c = history[rng.IntN(len(history))]
		case r < 900: // small jump ahead
			c = next + rng.Uint64N(3*blockBits)
		case r < 950: // jump around the ring size
			c = next + ringBlocks*blockBits - 2*blockBits + rng.Uint64N(4*blockBits)
		case r < 990: // big jump
			c = next + rng.Uint64N(1<<20)
		case r < 995: // against a tight limit
			limit = next + rng.Uint64N(3)
			c = next
		case r < 997 && next > 1<<40: // far in the past
			c = rng.Uint64N(next - 1<<40)
		default:
			f.Reset()
			slow = newSlowFilter()
			next, history = 0, history[:0]
			continue
		}
		want := slow.validate(c, limit)
		require.Equal(t, want, f.ValidateCounter(c, limit), "op %d: counter %d, limit %d, largest %d", i, c, limit, slow.max)
		if want {
			accepted++
			next = max(next, c+1)
			if len(history) < 64 {
				history = append(history, c)
			} else {
				history[rng.IntN(len(history))] = c
			}
		}
		if i%10_000 == 0 {
			slow.prune()
		}
	}
	// The sequence must exercise both answers a fair amount.
	require.Greater(t, accepted, n/2)
	require.Greater(t, n-accepted, n/10)
}

func TestValidateCounterAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	var f Filter
	var c uint64
	allocs := testing.AllocsPerRun(1000, func() {
		f.ValidateCounter(c, rejectAfterMessages)
		f.ValidateCounter(c/2, rejectAfterMessages)
		c += 100
	})
	require.Zero(t, allocs)
}

// FuzzFilter runs Filter against slowFilter on a sequence of counters that
// the input describes, two bytes per counter.
func FuzzFilter(f *testing.F) {
	f.Fuzz(func(t *testing.T, ops []byte) {
		var filter Filter
		slow := newSlowFilter()
		var next uint64
		for i := 0; i+1 < len(ops); i += 2 {
			op, arg := ops[i], uint64(ops[i+1])
			var c uint64
			limit := uint64(rejectAfterMessages)
			switch op % 8 {
			case 0, 1: // in order, with a small skip
				c = next + arg%4
			case 2, 3: // back into the window (or out of it)
				c = next - min(next, arg*WindowSize/255+uint64(op>>3))
			case 4: // jump by blocks, up to past the ring
				c = next + arg*blockBits + uint64(op>>3)
			case 5: // jump by rings
				c = next + arg*ringBlocks*blockBits
			case 6: // limit right at the counter
				c = next
				limit = next + arg%2
			case 7:
				filter.Reset()
				slow = newSlowFilter()
				next = 0
				continue
			}
			want := slow.validate(c, limit)
			if got := filter.ValidateCounter(c, limit); got != want {
				t.Fatalf("op %d: ValidateCounter(%d, %d) = %v, want %v", i/2, c, limit, got, want)
			}
			if want {
				next = max(next, c+1)
			}
		}
	})
}

func BenchmarkValidateCounter(b *testing.B) {
	b.Run("in order", func(b *testing.B) {
		b.ReportAllocs()
		var f Filter
		var c uint64
		for b.Loop() {
			if !f.ValidateCounter(c, rejectAfterMessages) {
				b.Fatal("rejected an in-order counter")
			}
			c++
		}
	})
	b.Run("random within window", func(b *testing.B) {
		// Counters advance by one on average but arrive up to a window late,
		// as after heavy reordering; a counter may repeat.
		rng := rand.New(rand.NewPCG(1, 2))
		counters := make([]uint64, 1<<16)
		for i := range counters {
			counters[i] = uint64(i) + WindowSize - rng.Uint64N(WindowSize)
		}
		b.ReportAllocs()
		var f Filter
		var base uint64
		i := 0
		for b.Loop() {
			f.ValidateCounter(base+counters[i], rejectAfterMessages)
			i++
			if i == len(counters) {
				i = 0
				base += uint64(len(counters)) + WindowSize
			}
		}
	})
}
