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

func TestSetEveryThreadAndNewOnes(t *testing.T) {
	t.Cleanup(func() { require.NoError(t, Set(Normal)) })
	_, end := newThreads(t, 4) // threads that exist before Set
	require.NoError(t, Set(Batch))
	requireAll(t, Batch)

	// Threads started afterwards inherit the policy from their creator.
	tids, endNew := newThreads(t, 4)
	th, err := Threads()
	require.NoError(t, err)
	for _, tid := range tids {
		require.Equal(t, Batch, th[tid], "new thread %d", tid)
	}
	end()
	endNew()

	require.NoError(t, Set(Normal))
	requireAll(t, Normal)
}

func TestSetKeepsNice(t *testing.T) {
	t.Cleanup(func() { require.NoError(t, Set(Normal)) })
	tids, _ := newThreads(t, 1)
	tid := tids[0]
	orig, err := unix.Getpriority(unix.PRIO_PROCESS, tid)
	require.NoError(t, err)
	t.Cleanup(func() { _ = unix.Setpriority(unix.PRIO_PROCESS, tid, 20-orig) })
	require.NoError(t, unix.Setpriority(unix.PRIO_PROCESS, tid, 5))

	require.NoError(t, Set(Batch))
	a, err := unix.SchedGetAttr(tid, 0)
	require.NoError(t, err)
	require.Equal(t, uint32(Batch), a.Policy)
	require.Equal(t, int32(5), a.Nice)
}

func TestSetLeavesOtherPolicies(t *testing.T) {
	t.Cleanup(func() { require.NoError(t, Set(Normal)) })
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
