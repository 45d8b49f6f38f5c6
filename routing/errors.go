package routing

import (
	"errors"
	"fmt"
	"net/netip"
)

var (
	// ErrOverlap is matched by errors.Is for every [*OverlapError].
	ErrOverlap = errors.New("routing: prefix already routed to another peer")

	// ErrInvalidPrefix is wrapped by the error [Table.SetPeer] returns for an
	// invalid (zero or out-of-range) netip.Prefix.
	ErrInvalidPrefix = errors.New("routing: invalid prefix")
)

// OverlapError is returned by [Table.SetPeer] when one of the prefixes it was
// given is already routed to another peer. It matches [ErrOverlap] with
// errors.Is; use errors.As to learn the prefix and its owner.
type OverlapError[P comparable] struct {
	Prefix netip.Prefix // the contested prefix, in canonical form
	Other  P            // the peer that owns it
}

func (e *OverlapError[P]) Error() string {
	return fmt.Sprintf("routing: prefix %s is already routed to another peer", e.Prefix)
}

// Is reports whether target is ErrOverlap.
func (e *OverlapError[P]) Is(target error) bool {
	return target == ErrOverlap
}
