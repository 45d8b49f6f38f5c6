package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/seigr/stt-tun/overlay"
)

const (
	// handshakeTimeout bounds the wait for both engines to report their
	// peer connected; it leaves room for one lost HELLO (RekeyTimeout 5 s).
	handshakeTimeout = 12 * time.Second
	// handshakePoll is how often the engines' status is read meanwhile
	// (and while the counters settle).
	handshakePoll = 2 * time.Millisecond
	// settleTimeout bounds the wait for packets in flight after the push.
	settleTimeout = 250 * time.Millisecond
)

// past is a deadline that has already passed: setting it makes blocking
// calls on a connection return at once.
var past = time.Unix(1, 0)

// waitHandshake polls both engines until each reports its peer connected,
// and returns the time since start.
func waitHandshake(ctx context.Context, a, b *overlay.Engine, start time.Time) (time.Duration, error) {
	deadline := time.NewTimer(handshakeTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(handshakePoll)
	defer tick.Stop()
	for {
		if connected(a) && connected(b) {
			return time.Since(start), nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-deadline.C:
			return 0, fmt.Errorf("not connected after %v (a: %v, b: %v)", handshakeTimeout, connected(a), connected(b))
		case <-tick.C:
		}
	}
}

// settledStatus returns both engines' status once every packet one sent
// has been received by the other (the last TCP segments may still be in
// flight when the push ends), or after settleTimeout.
func settledStatus(ctx context.Context, a, b *overlay.Engine) (overlay.Status, overlay.Status) {
	deadline := time.NewTimer(settleTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(handshakePoll)
	defer tick.Stop()
	for {
		sa, sb := a.Status(), b.Status()
		if len(sa.Peers) == 0 || len(sb.Peers) == 0 ||
			sa.Peers[0].TxPackets == sb.Peers[0].RxPackets && sb.Peers[0].TxPackets == sa.Peers[0].RxPackets {
			return sa, sb
		}
		select {
		case <-ctx.Done():
			return sa, sb
		case <-deadline.C:
			return sa, sb
		case <-tick.C:
		}
	}
}

func connected(e *overlay.Engine) bool {
	st := e.Status()
	return len(st.Peers) > 0 && st.Peers[0].Connected
}
