package transport

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// SocketBufferSize is the send and receive buffer asked of the kernel: large
// enough that a burst of a few thousand packets is not dropped at the socket.
const SocketBufferSize = 7 << 20

// UDPConn is a Conn over one UDP socket. On Linux it moves batches with
// recvmmsg and sendmmsg, sends runs of equal-sized packets to one address as
// one UDP GSO message (UDP_SEGMENT) and receives coalesced ones (UDP_GRO),
// when the kernel offers them; elsewhere it uses golang.org/x/net's batch
// calls.
type UDPConn struct {
	conn  *net.UDPConn
	local netip.AddrPort
	platformConn
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
		local: c.LocalAddr().(*net.UDPAddr).AddrPort(),
	}
	u.initPlatform()
	return u
}

// LocalAddr returns the socket's address.
func (u *UDPConn) LocalAddr() netip.AddrPort { return u.local }

// BatchSize returns IdealBatchSize.
func (u *UDPConn) BatchSize() int { return IdealBatchSize }

// Close closes the socket.
func (u *UDPConn) Close() error {
	err := u.conn.Close()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
