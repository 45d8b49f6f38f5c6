package schedpolicy

import (
	"errors"
	"fmt"
)

// Policy is a Linux scheduling policy for normal (not real-time) threads.
type Policy uint32

// The policies Set accepts; the values are Linux's.
const (
	Normal Policy = 0 // SCHED_OTHER: the kernel's default
	Batch  Policy = 3 // SCHED_BATCH: fair share, but no preemption on wake-up
)

// String returns the policy's name as the configuration spells it.
func (p Policy) String() string {
	switch p {
	case Normal:
		return "normal"
	case Batch:
		return "batch"
	}
	return fmt.Sprintf("Policy(%d)", uint32(p))
}

// Parse returns the policy named s ("normal" or "batch").
func Parse(s string) (Policy, error) {
	switch s {
	case "normal":
		return Normal, nil
	case "batch":
		return Batch, nil
	}
	return 0, fmt.Errorf("schedpolicy: unknown policy %q: %w", s, ErrUnknown)
}

// ErrUnknown is wrapped by Parse's error for a name it does not know.
var ErrUnknown = errors.New(`the policy is "normal" or "batch"`)

// ErrUnsupported is returned by Set where the system has no such policies.
var ErrUnsupported = errors.New("schedpolicy: scheduling policies are set on Linux only")
