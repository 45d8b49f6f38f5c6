package schedpolicy

import (
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// newThreads starts n goroutines, each locked to a thread the runtime starts
// for it, and returns their thread IDs and a function that ends them.
func newThreads(t *testing.T, n int) ([]int, func()) {
	t.Helper()
	tids := make(chan int, n)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread() // not unlocked: the thread exits with the goroutine
			tids <- unix.Gettid()
			<-stop
		}()
	}
	out := make([]int, 0, n)
	for range n {
		out = append(out, <-tids)
	}
	var once sync.Once
	end := func() { once.Do(func() { close(stop); wg.Wait() }) }
	t.Cleanup(end)
	return out, end
}

func requireAll(t *testing.T, want Policy) {
	t.Helper()
	th, err := Threads()
	require.NoError(t, err)
	require.NotEmpty(t, th)
	for tid, p := range th {
		require.Equal(t, want, p, "thread %d", tid)
	}
}

// requireNormalStart skips a test that would leave the process changed: the
// tests restore Normal, so they run only where every thread starts with it
// (not under chrt or a unit's CPUSchedulingPolicy).
func requireNormalStart(t *testing.T) {
	t.Helper()
	th, err := Threads()
	require.NoError(t, err)
	for tid, p := range th {
		if p != Normal {
			t.Skipf("thread %d runs with policy %v, not normal: the test would change it for good", tid, p)
		}
	}
	t.Cleanup(func() { require.NoError(t, Set(Normal)) })
}

func TestSetEveryThreadAndNewOnes(t *testing.T) {
	requireNormalStart(t)
	_, end := newThreads(t, 4) // threads that exist before Set
	require.NoError(t, Set(Batch))
	requireAll(t, Batch)
	before, err := Threads()
	require.NoError(t, err)

	// Threads started afterwards inherit the policy from their creator.
	// Only threads that did not exist at Set count: the runtime may reuse
	// an idle one for a locked goroutine.
	tids, endNew := newThreads(t, 8)
	th, err := Threads()
	require.NoError(t, err)
	fresh := 0
	for _, tid := range tids {
		if _, old := before[tid]; old {
			continue
		}
		fresh++
		require.Equal(t, Batch, th[tid], "new thread %d", tid)
	}
	require.Positive(t, fresh, "the runtime started no new thread")
	end()
	endNew()

	require.NoError(t, Set(Normal))
	requireAll(t, Normal)
}

func TestSetKeepsNiceAndSlice(t *testing.T) {
	requireNormalStart(t)
	tids, _ := newThreads(t, 1)
	tid := tids[0] // its own thread, which exits with its goroutine
	// Raising nice needs no privilege. Getpriority returns 20 - nice.
	prio, err := unix.Getpriority(unix.PRIO_PROCESS, tid)
	require.NoError(t, err)
	nice := min(20-prio+5, 19)
	require.NoError(t, unix.Setpriority(unix.PRIO_PROCESS, tid, nice))
	before, err := unix.SchedGetAttr(tid, 0)
	require.NoError(t, err)

	require.NoError(t, Set(Batch))
	a, err := unix.SchedGetAttr(tid, 0)
	require.NoError(t, err)
	require.Equal(t, uint32(Batch), a.Policy)
	require.Equal(t, int32(nice), a.Nice)
	// The slice is the kernel's default, not pinned: what sched_getattr
	// reports (the slice in use) is unchanged.
	require.Equal(t, before.Runtime, a.Runtime)
}

func TestSetLeavesOtherPolicies(t *testing.T) {
	requireNormalStart(t)
	tids, _ := newThreads(t, 1)
	tid := tids[0]
	const schedIdle = 5
	require.NoError(t, unix.SchedSetAttr(tid, &unix.SchedAttr{Policy: schedIdle}, 0))

	require.NoError(t, Set(Batch))
	a, err := unix.SchedGetAttr(tid, 0)
	require.NoError(t, err)
	require.Equal(t, uint32(schedIdle), a.Policy, "an idle thread is the operator's choice")
}

func TestSetRejectsUnknown(t *testing.T) {
	require.ErrorIs(t, Set(Policy(1)), ErrUnknown) // SCHED_FIFO is not ours to set
}
