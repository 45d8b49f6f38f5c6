package sttcore

import (
	"context"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/sttcore/transport"
	"github.com/seigr/stt-tun/sttcore/transport/transporttest"
)

// failingConn is a transport whose reads fail with err, as a socket whose
// interface went away does; it injects the fault, everything else is real.
type failingConn struct {
	transport.Conn
	err error
}

func (c failingConn) ReadBatch([][]byte, []int, []netip.AddrPort) (int, error) {
	time.Sleep(time.Millisecond)
	return 0, c.err
}

// TestNodeStopsWhenReadingFails: a transport whose reads keep failing stops
// the node, which says so through Done and Err, and ends its sessions,
// instead of leaving a node that sends but never receives.
func TestNodeStopsWhenReadingFails(t *testing.T) {
	netw := transporttest.NewNetwork(transporttest.Config{})
	t.Cleanup(func() { _ = netw.Close() })
	conn, err := netw.NewConn(netip.MustParseAddrPort("10.0.0.1:1000"))
	require.NoError(t, err)
	n, err := NewNode(failingConn{conn, syscall.ENETDOWN}, &Config{PrivateKey: newKey(t), SharedSeed: testSeed})
	require.NoError(t, err)
	defer func() { require.NoError(t, n.Close()) }()
	require.NoError(t, n.Err())

	peer := newKey(t)
	s, err := n.Open(peer.PublicKey(), netip.MustParseAddrPort("10.0.0.2:1000"))
	require.NoError(t, err)

	select {
	case <-n.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the node still runs after its transport failed ten times")
	}
	require.ErrorIs(t, n.Err(), syscall.ENETDOWN)
	require.ErrorIs(t, n.Err(), ErrNodeClosed)
	require.ErrorIs(t, n.Err(), net.ErrClosed)
	_, err = n.Accept(ctxT(t, time.Second))
	require.ErrorIs(t, err, ErrNodeClosed)
	require.ErrorIs(t, err, syscall.ENETDOWN, "Accept hides why the node stopped")
	other := newKey(t)
	_, err = n.Open(other.PublicKey(), netip.MustParseAddrPort("10.0.0.3:1000"))
	require.ErrorIs(t, err, syscall.ENETDOWN, "Open on a stopped node must fail and say why")
	select {
	case <-s.Context().Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a session outlived its node")
	}
	require.ErrorIs(t, context.Cause(s.Context()), syscall.ENETDOWN)
}
