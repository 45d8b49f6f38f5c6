package impair

import (
	"bytes"
	"testing"
	"time"
)

// FuzzLine drives a delay line with a fuzzed config and a fuzzed schedule
// of arrivals and clock steps, and checks its invariants: nothing leaves
// before it is due or before arrival+Delay, releases come out in time
// order, a payload arrives intact or with exactly one byte changed (and
// only with Corrupt), at most twice (and only with Duplicate), the queue
// stays within its limits, and every datagram is accounted for.
//
// knobs: loss, duplicate, corrupt, reorder (each /255), delay, jitter,
// reorder delay (ms), rate (x100 B/s, 0: none), queue limit (0: default).
// ops: a byte with the top bit set advances the clock by its low 7 bits in
// ms and releases what is due; otherwise a datagram of 4*b bytes arrives.
func FuzzLine(f *testing.F) {
	const maxFuzzOps = 4096
	f.Add(uint64(0), []byte{}, []byte{1, 2, 3, 0x81, 4})
	f.Add(uint64(1), []byte{128, 128, 128, 128, 10, 5, 3, 0, 4}, []byte{10, 10, 10, 0x85, 10, 0x8a, 0xff})
	f.Add(uint64(2), []byte{0, 255, 255, 0, 0, 0, 0, 50, 0}, []byte{100, 100, 100, 100, 0x90, 0x90})
	f.Fuzz(func(t *testing.T, seed uint64, knobs, ops []byte) {
		if len(ops) > maxFuzzOps {
			ops = ops[:maxFuzzOps] // keep each run short; length adds no new paths
		}
		k := make([]byte, 9)
		copy(k, knobs)
		cfg, err := Config{
			Loss:         float64(k[0]) / 255,
			Duplicate:    float64(k[1]) / 255,
			Corrupt:      float64(k[2]) / 255,
			Reorder:      float64(k[3]) / 255,
			Delay:        time.Duration(k[4]) * time.Millisecond,
			Jitter:       time.Duration(k[5]) * time.Millisecond,
			ReorderDelay: time.Duration(k[6]) * time.Millisecond,
			RateBps:      int64(k[7]) * 100,
			QueueLimit:   int(k[8]),
			Seed:         seed,
		}.validate()
		if err != nil {
			t.Fatalf("knobs %v: %v", knobs, err)
		}
		l := newLine(cfg, uint64(Up), newBufPool())

		type sent struct {
			data    []byte
			arrival time.Duration
			copies  int
		}
		origin := make(map[*client]*sent)
		var (
			now, last time.Duration
			popped    int
			batch     []packet
		)
		check := func(out []packet) {
			for _, p := range out {
				s := origin[p.to]
				if s == nil {
					t.Fatalf("unknown packet")
				}
				if p.release > now {
					t.Fatalf("released at %v before due %v", now, p.release)
				}
				if p.release < s.arrival+cfg.Delay {
					t.Fatalf("release %v before arrival %v + delay %v", p.release, s.arrival, cfg.Delay)
				}
				if p.release < last {
					t.Fatalf("release %v after a later one %v", p.release, last)
				}
				last = p.release
				got := *p.buf
				if len(got) != len(s.data) {
					t.Fatalf("length %d, sent %d", len(got), len(s.data))
				}
				if !bytes.Equal(got, s.data) {
					diff := 0
					for i := range got {
						if got[i] != s.data[i] {
							diff++
						}
					}
					if diff != 1 || cfg.Corrupt == 0 {
						t.Fatalf("%d bytes changed, Corrupt %v", diff, cfg.Corrupt)
					}
				}
				if s.copies++; s.copies > 2 || (s.copies == 2 && cfg.Duplicate == 0) {
					t.Fatalf("%d copies, Duplicate %v", s.copies, cfg.Duplicate)
				}
				l.putBuf(p.buf)
				popped++
			}
		}
		for i, op := range ops {
			if op&0x80 != 0 {
				now += time.Duration(op&0x7f) * time.Millisecond
				batch, _, _ = l.popDue(now, batch[:0])
				check(batch)
				continue
			}
			data := make([]byte, 4*int(op))
			for j := range data {
				data[j] = byte(i + j)
			}
			to := new(client)
			origin[to] = &sent{data: bytes.Clone(data), arrival: now}
			l.enqueue(now, data, to)
			if len(l.q) > cfg.QueueLimit || l.qBytes > MaxQueueBytes {
				t.Fatalf("queue %d datagrams, %d bytes; limit %d", len(l.q), l.qBytes, cfg.QueueLimit)
			}
		}
		now = 1 << 62 // beyond any release a fuzzed config can produce
		batch, _, pending := l.popDue(now, batch[:0])
		check(batch)
		st := l.stats()
		if pending || st.Queued != 0 {
			t.Fatalf("queue not empty after draining: %d", st.Queued)
		}
		if in, out := st.Received-st.DroppedLoss+st.Duplicated-st.DroppedQueue, uint64(popped); in != out {
			t.Fatalf("accounting: %+v, %d popped", st, popped)
		}
		if st.Forwarded != uint64(popped) {
			t.Fatalf("forwarded %d, popped %d", st.Forwarded, popped)
		}
		if st.Received != uint64(len(origin)) {
			t.Fatalf("received %d, sent %d", st.Received, len(origin))
		}
	})
}
