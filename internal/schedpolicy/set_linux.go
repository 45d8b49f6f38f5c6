package schedpolicy

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// maxPasses bounds Set's passes over the threads. Each pass after the first
// finds only threads started during the one before, from a thread that was
// not yet changed; a handful of passes is plenty.
const maxPasses = 8

// Set gives every thread of the process policy p; each keeps its nice value.
// Threads with a real-time or idle policy, which only an operator gives them
// (chrt), are left alone. Set returns an error that names the thread it could
// not change; a thread that exits meanwhile is skipped.
func Set(p Policy) error {
	if p != Normal && p != Batch {
		return fmt.Errorf("schedpolicy: %v: %w", p, ErrUnknown)
	}
	for range maxPasses {
		changed, err := setAll(p)
		if err != nil || changed == 0 {
			return err
		}
	}
	return fmt.Errorf("schedpolicy: threads were still being started without %v after %d passes", p, maxPasses)
}

// Threads returns the policy of each thread of the process, by thread ID.
func Threads() (map[int]Policy, error) {
	out := map[int]Policy{}
	err := eachThread(func(tid int, a *unix.SchedAttr) error {
		out[tid] = Policy(a.Policy)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// setAll changes the threads whose policy is not p yet, and says how many.
func setAll(p Policy) (int, error) {
	changed := 0
	err := eachThread(func(tid int, a *unix.SchedAttr) error {
		if Policy(a.Policy) == p || (a.Policy != uint32(Normal) && a.Policy != uint32(Batch)) {
			return nil
		}
		err := setScheduler(tid, p, a.Flags&unix.SCHED_FLAG_RESET_ON_FORK != 0)
		if errors.Is(err, unix.ESRCH) {
			return nil // it exited
		}
		if err != nil {
			return fmt.Errorf("schedpolicy: setting %v on thread %d: %w", p, tid, err)
		}
		changed++
		return nil
	})
	return changed, err
}

// eachThread calls fn with the scheduling attributes of each thread of the
// process, skipping threads that exit meanwhile, until fn fails.
func eachThread(fn func(tid int, a *unix.SchedAttr) error) error {
	tids, err := threads()
	if err != nil {
		return err
	}
	for _, tid := range tids {
		a, err := unix.SchedGetAttr(tid, 0)
		if errors.Is(err, unix.ESRCH) {
			continue // it exited
		}
		if err != nil {
			return fmt.Errorf("schedpolicy: thread %d: %w", tid, err)
		}
		if err := fn(tid, a); err != nil {
			return err
		}
	}
	return nil
}

// threads lists the process's thread IDs.
func threads() ([]int, error) {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return nil, fmt.Errorf("schedpolicy: listing threads: %w", err)
	}
	tids := make([]int, 0, len(ents))
	for _, e := range ents {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			tids = append(tids, tid)
		}
	}
	return tids, nil
}

// setScheduler is sched_setscheduler(2). Unlike writing back what
// sched_getattr read, it changes the policy alone: the kernel keeps the
// thread's nice value, and its time slice stays the system's default instead
// of being pinned at the value read (sched_getattr reports the slice in use).
func setScheduler(tid int, p Policy, resetOnFork bool) error {
	policy := uintptr(p)
	if resetOnFork {
		policy |= unix.SCHED_RESET_ON_FORK
	}
	var param struct{ priority int32 } // must be 0 for these policies
	_, _, errno := unix.Syscall(unix.SYS_SCHED_SETSCHEDULER, uintptr(tid), policy, uintptr(unsafe.Pointer(&param)))
	if errno != 0 {
		return errno
	}
	return nil
}
