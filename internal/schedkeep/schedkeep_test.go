package schedkeep

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var fast = Config{Tick: time.Millisecond, Linger: 30 * time.Millisecond, Poll: 5 * time.Millisecond}

// start runs a keeper over counter until the test ends.
func start(t *testing.T, counter *atomic.Uint64, cfg Config) *Keeper {
	t.Helper()
	k := New(counter.Load, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); k.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after its context was cancelled")
		}
	})
	return k
}

func TestIdleWithoutTraffic(t *testing.T) {
	var counter atomic.Uint64
	k := start(t, &counter, fast)
	time.Sleep(10 * fast.Poll)
	require.False(t, k.Active())
	require.Zero(t, k.Ticks(), "no traffic, yet the keeper held a P")
}

func TestActiveWhileTrafficFlows(t *testing.T) {
	var counter atomic.Uint64
	// A Linger long enough that a goroutine starved by a loaded machine
	// does not look like the end of the traffic.
	cfg := fast
	cfg.Linger = 200 * time.Millisecond
	k := start(t, &counter, cfg)
	stop := make(chan struct{})
	traffic := make(chan struct{})
	go func() {
		defer close(traffic)
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
				counter.Add(1)
			}
		}
	}()
	require.Eventually(t, k.Active, 5*time.Second, time.Millisecond, "traffic flows, yet the keeper stays idle")
	require.Eventually(t, func() bool { return k.Ticks() >= 3 }, 5*time.Second, time.Millisecond)
	// It stays active for as long as the counter moves: several Lingers.
	for range 4 {
		time.Sleep(cfg.Linger)
		require.True(t, k.Active(), "the keeper stopped while the traffic went on")
	}
	close(stop)
	<-traffic
	require.Eventually(t, func() bool { return !k.Active() }, 5*time.Second, time.Millisecond,
		"the traffic stopped, yet the keeper goes on holding a P")
	ticks := k.Ticks()
	time.Sleep(10 * fast.Poll)
	require.Equal(t, ticks, k.Ticks(), "an idle keeper went on ticking")
	require.False(t, k.Active())
}

// TestNudge: an idle keeper that is nudged starts at once, without waiting
// for its Poll.
func TestNudge(t *testing.T) {
	var counter atomic.Uint64
	cfg := fast
	cfg.Poll = time.Hour
	// Long enough that the second Nudge surely comes while it is active.
	cfg.Linger = time.Second
	k := start(t, &counter, cfg)
	counter.Add(1)
	time.Sleep(20 * fast.Tick)
	require.False(t, k.Active(), "the keeper started before its Poll without a Nudge")
	k.Nudge()
	require.Eventually(t, k.Active, 5*time.Second, time.Millisecond, "a nudged keeper did not start")
	k.Nudge() // a no-op while active
	require.Eventually(t, func() bool { return !k.Active() }, 5*time.Second, time.Millisecond,
		"the counter stopped, yet the keeper goes on")
	require.Never(t, k.Active, 100*time.Millisecond, 5*time.Millisecond,
		"a Nudge sent while active restarted the keeper")
}

// TestLingerShorterThanTick: the keeper still sleeps between looks at the
// counter when Linger is shorter than one Tick (it must not spin).
func TestLingerShorterThanTick(t *testing.T) {
	var counter atomic.Uint64
	k := New(func() uint64 { return counter.Add(1) }, Config{Tick: time.Millisecond, Linger: time.Microsecond, Poll: time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	k.Run(ctx)
	// Every look at the counter moves it; a spinning keeper would look
	// millions of times in a second, one that sleeps a tick between looks
	// about a thousand: one look per tick, plus the first, the one that
	// woke it and one when the context ends.
	require.Positive(t, k.Ticks())
	require.LessOrEqual(t, counter.Load(), k.Ticks()+3)
}

func TestConfigDefaults(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   Config
		want Config
	}{
		{"zero", Config{}, Config{Tick: 5 * time.Millisecond, Linger: time.Second, Poll: time.Second}},
		{"tick too long for the runtime", Config{Tick: 10 * time.Millisecond, Linger: 2 * time.Second, Poll: time.Second},
			Config{Tick: 5 * time.Millisecond, Linger: 2 * time.Second, Poll: time.Second}},
		{"kept", fast, fast},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.in.withDefaults())
		})
	}
}
