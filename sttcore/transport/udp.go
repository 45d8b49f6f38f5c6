package transport

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"golang.org/x/net/ipv6"
)

// SocketBufferSize is the send and receive buffer asked of the kernel: large
// enough that a burst of a few thousand packets is not dropped at the socket.
const SocketBufferSize = 7 << 20

// UDPConn is a Conn over one UDP socket.
type UDPConn struct {
	conn  *net.UDPConn
	pc    *ipv6.PacketConn // ipv6.PacketConn's batch calls work on IPv4 sockets too
	local netip.AddrPort

	rmsgs []ipv6.Message // owned by the single reader

	wpool sync.Pool // *[]ipv6.Message for writers
}

var _ Conn = (*UDPConn)(nil)

// ListenUDP opens a UDP socket on addr ("host:port"; an empty host or port 0
// as net.ListenUDP takes them).
func ListenUDP(addr string) (*UDPConn, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("transport: resolving %q: %w", addr, err)
	}
	network := "udp"
	if ua.IP != nil && ua.IP.To4() != nil {
		network = "udp4"
	}
	c, err := net.ListenUDP(network, ua)
	if err != nil {
		return nil, fmt.Errorf("transport: %w", err)
	}
	return NewUDPConn(c), nil
}

// NewUDPConn wraps an open UDP socket. The UDPConn owns it from then on.
func NewUDPConn(c *net.UDPConn) *UDPConn {
	// Best effort: the kernel clamps to its limits; failing leaves defaults.
	_ = c.SetReadBuffer(SocketBufferSize)
	_ = c.SetWriteBuffer(SocketBufferSize)
	setForcedBuffers(c, SocketBufferSize)
	u := &UDPConn{
		conn:  c,
		pc:    ipv6.NewPacketConn(c),
		local: c.LocalAddr().(*net.UDPAddr).AddrPort(),
		rmsgs: make([]ipv6.Message, IdealBatchSize),
	}
	for i := range u.rmsgs {
		u.rmsgs[i].Buffers = make([][]byte, 1)
	}
	u.wpool.New = func() any {
		msgs := make([]ipv6.Message, IdealBatchSize)
		for i := range msgs {
			msgs[i].Buffers = make([][]byte, 1)
		}
		return &msgs
	}
	return u
}

// LocalAddr returns the socket's address.
func (u *UDPConn) LocalAddr() netip.AddrPort { return u.local }

// BatchSize returns IdealBatchSize.
func (u *UDPConn) BatchSize() int { return IdealBatchSize }

// ReadBatch reads packets with recvmmsg. It must not be called concurrently.
func (u *UDPConn) ReadBatch(bufs [][]byte, sizes []int, eps []netip.AddrPort) (int, error) {
	n := min(len(bufs), len(u.rmsgs))
	msgs := u.rmsgs[:n]
	for i := range msgs {
		msgs[i].Buffers[0] = bufs[i]
		msgs[i].N, msgs[i].Flags = 0, 0
	}
	got, err := u.pc.ReadBatch(msgs, 0)
	if err != nil {
		return 0, fmt.Errorf("transport: read: %w", err)
	}
	out := 0
	for i := range got {
		m := &msgs[i]
		ua, ok := m.Addr.(*net.UDPAddr)
		if !ok || m.Flags&msgTrunc != 0 {
			continue // truncated: larger than the buffer
		}
		if out != i {
			bufs[out], bufs[i] = bufs[i], bufs[out]
		}
		sizes[out] = m.N
		eps[out] = ua.AddrPort()
		out++
	}
	return out, nil
}

// WriteBatch sends bufs to ep with sendmmsg.
func (u *UDPConn) WriteBatch(bufs [][]byte, ep netip.AddrPort) error {
	if len(bufs) == 0 {
		return nil
	}
	if u.local.Addr().Is4() {
		ep = netip.AddrPortFrom(ep.Addr().Unmap(), ep.Port())
	}
	addr := net.UDPAddrFromAddrPort(ep)
	mp := u.wpool.Get().(*[]ipv6.Message)
	defer u.wpool.Put(mp)
	msgs := *mp
	for len(bufs) > 0 {
		n := min(len(bufs), len(msgs))
		for i := range n {
			msgs[i].Buffers[0] = bufs[i]
			msgs[i].Addr = addr
		}
		sent := 0
		for sent < n {
			k, err := u.pc.WriteBatch(msgs[sent:n], 0)
			if err != nil {
				clearMessages(msgs[:n])
				return fmt.Errorf("transport: write to %v: %w", ep, err)
			}
			sent += k
		}
		clearMessages(msgs[:n])
		bufs = bufs[n:]
	}
	return nil
}

func clearMessages(msgs []ipv6.Message) {
	for i := range msgs {
		msgs[i].Buffers[0] = nil
		msgs[i].Addr = nil
	}
}

// Close closes the socket.
func (u *UDPConn) Close() error {
	err := u.conn.Close()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
