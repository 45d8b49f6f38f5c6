package impair

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// poolBufSize is the capacity of pooled payload buffers: anything an
// Ethernet MTU carries fits. Larger datagrams get a buffer of their own.
const poolBufSize = 2048

// line is one direction's delay line: the impairment decisions, taken when
// a datagram arrives, and the heap of datagrams waiting for their release
// time. It never reads the clock: callers pass now, a duration since an
// epoch of their choosing, so tests drive it with fake time.
type line struct {
	pool *sync.Pool // of *[]byte with cap poolBufSize
	wake chan struct{}

	mu        sync.Mutex
	cfg       Config // validated
	stream    uint64 // PCG stream: differs per direction
	pcg       *rand.PCG
	rng       *rand.Rand
	q         packetHeap
	qBytes    int
	maxQueued int
	seq       uint64
	tokens    float64       // token bucket fill, bytes
	bucketAt  time.Duration // when tokens was computed

	received, forwarded, droppedLoss, droppedQueue atomic.Uint64
	duplicated, corrupted, reordered, sendErrors   atomic.Uint64
}

// newLine returns a line impairing as cfg (validated) says.
func newLine(cfg Config, stream uint64, pool *sync.Pool) *line {
	pcg := rand.NewPCG(cfg.Seed, stream)
	return &line{
		pool:   pool,
		wake:   make(chan struct{}, 1),
		cfg:    cfg,
		stream: stream,
		pcg:    pcg,
		rng:    rand.New(pcg),
		tokens: cfg.rateBurst(),
	}
}

// newBufPool returns the pool lines draw payload buffers from.
func newBufPool() *sync.Pool {
	return &sync.Pool{New: func() any {
		b := make([]byte, poolBufSize)
		return &b
	}}
}

// setConfig replaces the impairment for datagrams arriving from now on;
// those already queued keep their release times. A new Seed restarts the
// random stream.
func (l *line) setConfig(cfg Config) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if cfg.Seed != l.cfg.Seed {
		l.pcg.Seed(cfg.Seed, l.stream)
	}
	l.cfg = cfg
	l.tokens = min(l.tokens, cfg.rateBurst())
}

// config returns the line's current config.
func (l *line) config() Config {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cfg
}

// enqueue decides the fate of a datagram that arrived at now, and queues a
// copy of data (or two) for release. It reports whether the datagram
// became the earliest in the queue, in which case the scheduler must be
// woken (signal).
func (l *line) enqueue(now time.Duration, data []byte, to *client) (newHead bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.received.Add(1)
	c := &l.cfg
	if c.Loss > 0 && l.rng.Float64() < c.Loss {
		l.droppedLoss.Add(1)
		return false
	}
	copies := 1
	if c.Duplicate > 0 && l.rng.Float64() < c.Duplicate {
		copies = 2
		l.duplicated.Add(1)
	}
	corruptAt, corruptMask := -1, byte(0)
	if c.Corrupt > 0 && len(data) > 0 && l.rng.Float64() < c.Corrupt {
		corruptAt = l.rng.IntN(len(data))
		corruptMask = byte(1 + l.rng.IntN(255)) // never 0: the byte must change
		l.corrupted.Add(1)
	}
	for range copies {
		if len(l.q) >= c.QueueLimit || l.qBytes+len(data) > MaxQueueBytes {
			l.droppedQueue.Add(1)
			continue
		}
		release := l.shapeLocked(now, len(data)) + c.Delay
		if c.Jitter > 0 {
			release += time.Duration(l.rng.Int64N(int64(c.Jitter)))
		}
		if c.Reorder > 0 && l.rng.Float64() < c.Reorder {
			release += c.ReorderDelay
			l.reordered.Add(1)
		}
		b := l.getBuf(len(data))
		copy(*b, data)
		if corruptAt >= 0 {
			(*b)[corruptAt] ^= corruptMask
		}
		l.seq++
		l.q.push(packet{release: release, seq: l.seq, buf: b, to: to})
		l.qBytes += len(data)
		l.maxQueued = max(l.maxQueued, len(l.q))
		if l.q[0].seq == l.seq {
			newHead = true
		}
	}
	return newHead
}

// shapeLocked runs the token bucket for a datagram of size bytes arriving at
// now and returns when it may leave: now, or later once enough tokens have
// accumulated behind the backlog.
func (l *line) shapeLocked(now time.Duration, size int) time.Duration {
	rate := float64(l.cfg.RateBps)
	if rate == 0 {
		return now
	}
	t := max(now, l.bucketAt)
	l.tokens = min(l.cfg.rateBurst(), l.tokens+(t-l.bucketAt).Seconds()*rate)
	l.bucketAt = t
	if need := float64(size); l.tokens < need {
		t += time.Duration((need - l.tokens) / rate * float64(time.Second))
		l.tokens, l.bucketAt = 0, t
		return t
	}
	l.tokens -= float64(size)
	return t
}

// popDue appends to dst every packet due at now, in release order, counts
// them as forwarded, and returns dst with the release time of the next
// packet (ok false when none is left).
func (l *line) popDue(now time.Duration, dst []packet) (_ []packet, next time.Duration, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for len(l.q) > 0 && l.q[0].release <= now {
		p := l.q.pop()
		l.qBytes -= len(*p.buf)
		dst = append(dst, p)
		// Counted here, under the lock, so that a Stats snapshot never
		// misses a copy between the queue and the socket; the sender
		// moves a refused one to sendErrors.
		l.forwarded.Add(1)
	}
	if len(l.q) == 0 {
		return dst, 0, false
	}
	return dst, l.q[0].release, true
}

// signal wakes the scheduler without blocking; wakeups merge.
func (l *line) signal() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// getBuf returns a buffer of length n.
func (l *line) getBuf(n int) *[]byte {
	if n > poolBufSize {
		b := make([]byte, n)
		return &b
	}
	b := l.pool.Get().(*[]byte)
	*b = (*b)[:n]
	return b
}

// putBuf returns a packet's buffer to the pool.
func (l *line) putBuf(b *[]byte) {
	if cap(*b) == poolBufSize {
		l.pool.Put(b)
	}
}

// stats returns the line's counters.
func (l *line) stats() DirectionStats {
	// Under the lock, so that the counters enqueue and popDue change
	// together are seen together.
	l.mu.Lock()
	defer l.mu.Unlock()
	queued, maxQueued := len(l.q), l.maxQueued
	return DirectionStats{
		Received:     l.received.Load(),
		Forwarded:    l.forwarded.Load(),
		DroppedLoss:  l.droppedLoss.Load(),
		DroppedQueue: l.droppedQueue.Load(),
		Duplicated:   l.duplicated.Load(),
		Corrupted:    l.corrupted.Load(),
		Reordered:    l.reordered.Load(),
		SendErrors:   l.sendErrors.Load(),
		Queued:       queued,
		MaxQueued:    maxQueued,
	}
}
