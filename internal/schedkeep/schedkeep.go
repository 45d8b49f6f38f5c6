package schedkeep

import (
	"context"
	"runtime"
	"sync/atomic"
	"time"
)

// Config says when Run holds a P. The zero value means the defaults.
type Config struct {
	// Tick is the length of each blocking system call. It must stay under
	// the 10 ms after which the runtime takes back a P that sits in a
	// system call with no other work to do. Default 5 ms.
	Tick time.Duration
	// Linger is how long Run goes on after the activity counter last moved.
	// Default 1 s.
	Linger time.Duration
	// Poll is how often an idle Run looks at the activity counter, for
	// traffic that no Nudge announced. Default 1 s.
	Poll time.Duration
}

func (c Config) withDefaults() Config {
	if c.Tick <= 0 || c.Tick >= 10*time.Millisecond {
		c.Tick = 5 * time.Millisecond
	}
	if c.Linger <= 0 {
		c.Linger = time.Second
	}
	if c.Poll <= 0 {
		c.Poll = time.Second
	}
	return c
}

// Keeper runs the loop; its counters say what it did.
type Keeper struct {
	cfg      Config
	activity func() uint64
	ticks    atomic.Uint64 // blocking system calls made
	active   atomic.Bool
	nudge    chan struct{} // one slot: Nudge wakes an idle Run
}

// New returns a Keeper that watches activity, a counter that moves while
// traffic flows (packets sent and received, say). activity is called once
// per Poll or per Linger, never on the data path.
func New(activity func() uint64, cfg Config) *Keeper {
	return &Keeper{cfg: cfg.withDefaults(), activity: activity, nudge: make(chan struct{}, 1)}
}

// Nudge tells an idle keeper that traffic flows, so that it starts at once
// and not at its next Poll. It costs one atomic load while the keeper is
// active, so the data path may call it for every batch.
func (k *Keeper) Nudge() {
	if k.active.Load() {
		return
	}
	select {
	case k.nudge <- struct{}{}:
	default:
	}
}

// Ticks is the number of blocking system calls made so far.
func (k *Keeper) Ticks() uint64 { return k.ticks.Load() }

// Active reports whether the keeper is holding a P now.
func (k *Keeper) Active() bool { return k.active.Load() }

// Run holds a P while the activity counter moves, until ctx is done. It
// returns within one Tick or Poll of ctx being done.
func (k *Keeper) Run(ctx context.Context) {
	defer k.active.Store(false)
	last := k.activity()
	poll := time.NewTicker(k.cfg.Poll)
	defer poll.Stop()
	perCheck := max(1, int(k.cfg.Linger/k.cfg.Tick))
	for {
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
			now := k.activity()
			if now == last {
				continue
			}
			last = now
		case <-k.nudge:
			last = k.activity()
		}
		// Active: hold a P, in Tick-long system calls, until a whole
		// Linger passes without the counter moving.
		k.active.Store(true)
		select { // a Nudge sent before the Store is stale now
		case <-k.nudge:
		default:
		}
		for ctx.Err() == nil {
			for i := 0; i < perCheck && ctx.Err() == nil; i++ {
				sleepInSyscall(k.cfg.Tick)
				// The runtime takes back a P that runs one goroutine for
				// 10 ms without rescheduling, system calls or not: yield.
				runtime.Gosched()
				k.ticks.Add(1)
			}
			now := k.activity()
			if now == last {
				break
			}
			last = now
		}
		k.active.Store(false)
	}
}
