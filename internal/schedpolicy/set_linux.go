package schedpolicy

import (
	"errors"
	"fmt"
	"os"
	"strconv"

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
	return nil
}

// Threads returns the policy of each thread of the process, by thread ID.
func Threads() (map[int]Policy, error) {
	tids, err := threads()
	if err != nil {
		return nil, err
	}
	out := make(map[int]Policy, len(tids))
	for _, tid := range tids {
		a, err := unix.SchedGetAttr(tid, 0)
		if errors.Is(err, unix.ESRCH) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("schedpolicy: thread %d: %w", tid, err)
		}
		out[tid] = Policy(a.Policy)
	}
	return out, nil
}

// setAll changes the threads whose policy is not p yet, and says how many.
func setAll(p Policy) (int, error) {
	tids, err := threads()
	if err != nil {
		return 0, err
	}
	changed := 0
	for _, tid := range tids {
		a, err := unix.SchedGetAttr(tid, 0)
		if errors.Is(err, unix.ESRCH) {
			continue // it exited
		}
		if err != nil {
			return changed, fmt.Errorf("schedpolicy: thread %d: %w", tid, err)
		}
		if Policy(a.Policy) == p || (a.Policy != uint32(Normal) && a.Policy != uint32(Batch)) {
			continue
		}
		a.Policy = uint32(p)
		if err := unix.SchedSetAttr(tid, a, 0); err != nil && !errors.Is(err, unix.ESRCH) {
			return changed, fmt.Errorf("schedpolicy: setting %v on thread %d: %w", p, tid, err)
		}
		changed++
	}
	return changed, nil
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
