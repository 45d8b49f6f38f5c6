package sttcore

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/sttcore/transport"
	"github.com/seigr/stt-tun/sttcore/wire"
)

// testConn is a real UDP transport that records what it sends and can move
// to a new socket (a new source port) mid-session, as a NAT rebinding or a
// change of network does.
type testConn struct {
	t  testing.TB
	mu sync.Mutex
	u  *transport.UDPConn
	// sent holds a copy of every packet written, when recording.
	recording atomic.Bool
	swallow   atomic.Bool // record but do not send: the test delivers the packet itself
	sent      [][]byte
	closed    atomic.Bool
}

var _ transport.Conn = (*testConn)(nil)

func newTestConn(t testing.TB) *testConn {
	u, err := transport.ListenUDP("127.0.0.1:0")
	require.NoError(t, err)
	return &testConn{t: t, u: u}
}

func (c *testConn) conn() *transport.UDPConn {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.u
}

func (c *testConn) ReadBatch(bufs [][]byte, sizes []int, eps []netip.AddrPort) (int, error) {
	for {
		u := c.conn()
		n, err := u.ReadBatch(bufs, sizes, eps)
		if err != nil && errors.Is(err, net.ErrClosed) && !c.closed.Load() && c.conn() != u {
			continue // rebound: read from the new socket
		}
		return n, err
	}
}

func (c *testConn) WriteBatch(bufs [][]byte, ep netip.AddrPort) error {
	if c.recording.Load() {
		c.mu.Lock()
		for _, b := range bufs {
			c.sent = append(c.sent, append([]byte(nil), b...))
		}
		c.mu.Unlock()
	}
	if c.swallow.Load() {
		return nil
	}
	return c.conn().WriteBatch(bufs, ep)
}

func (c *testConn) LocalAddr() netip.AddrPort { return c.conn().LocalAddr() }
func (c *testConn) BatchSize() int            { return transport.IdealBatchSize }

func (c *testConn) Close() error {
	c.closed.Store(true)
	return c.conn().Close()
}

// rebind moves to a new socket on a new port.
func (c *testConn) rebind() {
	u, err := transport.ListenUDP("127.0.0.1:0")
	require.NoError(c.t, err)
	c.mu.Lock()
	old := c.u
	c.u = u
	c.mu.Unlock()
	require.NoError(c.t, old.Close())
}

// takeHello returns the last HELLO among the recorded packets and forgets
// them all.
func (c *testConn) takeHello() []byte {
	var hello []byte
	for _, p := range c.takeSent() {
		if typ, err := wire.ParseType(p); err == nil && typ == wire.TypeHello {
			hello = p
		}
	}
	return hello
}

// takeSent returns and forgets the recorded packets.
func (c *testConn) takeSent() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sent
	c.sent = nil
	return s
}

func newNodeOn(t testing.TB, conn transport.Conn, mod func(*Config)) *Node {
	cfg := &Config{PrivateKey: newKey(t), SharedSeed: testSeed}
	if mod != nil {
		mod(cfg)
	}
	n, err := NewNode(conn, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, n.Close()) })
	return n
}

// rawSocket is an attacker's plain UDP socket.
func rawSocket(t testing.TB, addr string) *net.UDPConn {
	c, err := net.ListenUDP("udp4", net.UDPAddrFromAddrPort(netip.MustParseAddrPort(addr)))
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}
