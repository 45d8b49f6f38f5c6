//go:build !linux

package transport

import (
	"fmt"
	"net"
	"net/netip"
	"sync"

	"golang.org/x/net/ipv6"
)

// Elsewhere than Linux the batch calls go through golang.org/x/net, which
// moves one datagram per system call on most systems; no offloads.

const msgTrunc = 0

func setForcedBuffers(*net.UDPConn, int) {}

type platformConn struct {
	pc    *ipv6.PacketConn // ipv6.PacketConn's batch calls work on IPv4 sockets too
	rmsgs []ipv6.Message   // owned by the single reader
	wpool sync.Pool        // *[]ipv6.Message for writers
}

func (u *UDPConn) initPlatform() {
	u.pc = ipv6.NewPacketConn(u.conn)
	u.rmsgs = make([]ipv6.Message, IdealBatchSize)
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
}

// ReadBatch reads packets. It must not be called concurrently.
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

// WriteBatch sends bufs to ep with one batch call.
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
