package sttcore

import (
	"encoding/binary"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// shortTimers makes rekeys happen every few hundred milliseconds.
func shortTimers(c *Config) {
	c.RekeyAfterTime = 250 * time.Millisecond
	c.RejectAfterTime = 1500 * time.Millisecond
	c.RekeyTimeout = 200 * time.Millisecond
	c.KeepaliveTimeout = 100 * time.Millisecond
	c.RekeyAttemptTime = 10 * time.Second // a loaded machine may need a few tries
	c.IdleTimeout = -1
}

// Datagrams flow both ways without pause while the keys change at least five
// times: not one may be lost, since the previous keypair stays valid for
// packets in flight and the next one is confirmed before it is used.
func TestRekeyUnderLoadLosesNothing(t *testing.T) {
	a, b := newNode(t, shortTimers), newNode(t, shortTimers)
	sa, sb := connect(t, a, b)

	const minRekeys = 5
	type result struct {
		sent     uint64
		mu       sync.Mutex
		received map[uint64]bool
	}
	run := func(from, to *Session, stop <-chan struct{}, res *result, wg *sync.WaitGroup) {
		defer wg.Done()
		var seq uint64
		buf := make([]byte, 64)
		tick := time.NewTicker(200 * time.Microsecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				res.sent = seq
				return
			case <-tick.C:
			}
			binary.BigEndian.PutUint64(buf, seq)
			require.NoError(t, from.SendDatagram(buf))
			seq++
		}
	}
	recv := func(s *Session, res *result, wg *sync.WaitGroup) {
		defer wg.Done()
		for {
			b, err := s.ReceiveDatagram(s.Context())
			if err != nil {
				return // the session was closed at the end of the test
			}
			res.mu.Lock()
			res.received[binary.BigEndian.Uint64(b)] = true
			res.mu.Unlock()
		}
	}
	count := func(res *result) int {
		res.mu.Lock()
		defer res.mu.Unlock()
		return len(res.received)
	}

	resAB := &result{received: map[uint64]bool{}}
	resBA := &result{received: map[uint64]bool{}}
	stop := make(chan struct{})
	var senders, receivers sync.WaitGroup
	senders.Add(2)
	receivers.Add(2)
	go recv(sb, resAB, &receivers)
	go recv(sa, resBA, &receivers)
	go run(sa, sb, stop, resAB, &senders)
	go run(sb, sa, stop, resBA, &senders)

	waitFor(t, 20*time.Second, func() bool {
		return sa.Stats().KeyEpoch >= minRekeys+1 && sb.Stats().KeyEpoch >= minRekeys+1
	}, "too few rekeys: %d/%d", sa.Stats().KeyEpoch, sb.Stats().KeyEpoch)
	close(stop)
	senders.Wait()

	// Let the last packets land and be read, then end the sessions.
	waitFor(t, 5*time.Second, func() bool {
		return count(resAB) == int(resAB.sent) && count(resBA) == int(resBA.sent)
	}, "lost datagrams: a->b %d of %d, b->a %d of %d, drops a %v b %v",
		count(resAB), resAB.sent, count(resBA), resBA.sent, a.Stats().Drops.Map(), b.Stats().Drops.Map())
	require.Equal(t, resAB.sent, sb.Stats().DatagramsReceived, "no duplicates")
	require.Equal(t, resBA.sent, sa.Stats().DatagramsReceived, "no duplicates")
	require.NoError(t, sa.Close())
	receivers.Wait()

	for _, res := range []*result{resAB, resBA} {
		require.Greater(t, res.sent, uint64(50*minRekeys), "traffic must be continuous across the rekeys")
		for i := range res.sent {
			require.True(t, res.received[i], "datagram %d lost", i)
		}
	}
	// No DATA packet was refused. (An answer to a HELLO that a retry
	// replaced may be dropped as stale on a loaded machine; that loses nothing.)
	for _, n := range []*Node{a, b} {
		d := n.Stats().Drops
		d[DropStaleHandshake] = 0
		require.Zero(t, d.Total(), "%v", n.Stats().Drops.Map())
	}
	t.Logf("a->b %d, b->a %d datagrams over %d/%d key epochs", resAB.sent, resBA.sent, sa.Stats().KeyEpoch, sb.Stats().KeyEpoch)
}
