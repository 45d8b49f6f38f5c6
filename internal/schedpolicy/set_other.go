//go:build !linux

package schedpolicy

// Set returns ErrUnsupported: only Linux has these policies.
func Set(p Policy) error { return ErrUnsupported }

// Threads returns ErrUnsupported: only Linux has these policies.
func Threads() (map[int]Policy, error) { return nil, ErrUnsupported }
