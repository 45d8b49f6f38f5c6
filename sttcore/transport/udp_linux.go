//go:build linux

package transport

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// On Linux, UDPConn makes its own recvmmsg and sendmmsg calls through the
// socket's syscall.RawConn (so the runtime's poller still does the waiting),
// with preallocated headers, I/O vectors, addresses and control messages:
// no allocation per packet or per batch. It uses the kernel's UDP offloads
// when they are there:
//
//   - GSO (UDP_SEGMENT): a run of packets of one size to one address leaves
//     as one message whose I/O vectors point at the caller's buffers; the
//     kernel (or the NIC) cuts it into datagrams. A shorter packet may end
//     a run. Turned off for good if the kernel answers EIO (a device without
//     checksum offload), as wireguard-go does.
//   - GRO (UDP_GRO): the kernel hands over runs of datagrams from one source
//     as one buffer with the segment size in a control message; ReadBatch
//     copies each datagram into a caller's buffer, keeping what does not fit
//     for the next call.

const (
	// udpSegmentMaxDatagrams is the most datagrams one GSO message may
	// carry (the kernel's UDP_MAX_SEGMENTS on older kernels).
	udpSegmentMaxDatagrams = 64
	// A GSO message's payload may not exceed an IP packet's.
	maxIPv4Payload = 1<<16 - 1 - 20 - 8
	maxIPv6Payload = 1<<16 - 1 - 8
	// groBufSize holds any coalesced message the kernel may build.
	groBufSize = 1 << 16
	// groMessages is how many coalesced messages one read asks for.
	groMessages = 16
	sizeofGSO   = 2 // a UDP_SEGMENT or UDP_GRO value is a uint16
)

var cmsgSpace = unix.CmsgSpace(sizeofGSO)

const msgTrunc = unix.MSG_TRUNC

type platformConn struct {
	rc    syscall.RawConn
	is6   bool        // an AF_INET6 socket: IPv4 peers are v4-mapped
	gso   atomic.Bool // send with UDP_SEGMENT
	gro   bool        // receive with UDP_GRO
	r     reader      // the single reader's state
	wpool sync.Pool   // *writer, one per concurrent WriteBatch
}

func (u *UDPConn) initPlatform() {
	rc, err := u.conn.SyscallConn()
	if err != nil {
		panic(fmt.Sprintf("transport: a *net.UDPConn without a RawConn: %v", err)) // cannot happen
	}
	u.rc = rc
	u.is6 = !u.local.Addr().Is4()
	_ = rc.Control(func(fd uintptr) {
		if sa, err := unix.Getsockname(int(fd)); err == nil {
			_, u.is6 = sa.(*unix.SockaddrInet6)
		}
		_, err := unix.GetsockoptInt(int(fd), unix.IPPROTO_UDP, unix.UDP_SEGMENT)
		u.gso.Store(err == nil)
		if unix.SetsockoptInt(int(fd), unix.IPPROTO_UDP, unix.UDP_GRO, 1) == nil {
			v, err := unix.GetsockoptInt(int(fd), unix.IPPROTO_UDP, unix.UDP_GRO)
			u.gro = err == nil && v == 1
		}
	})
	u.r.init(u)
	u.wpool.New = func() any { return newWriter(u) }
}

// Offloads reports whether the socket sends with UDP GSO and receives with
// UDP GRO.
func (u *UDPConn) Offloads() (gso, gro bool) { return u.gso.Load(), u.gro }

// SetOffloads turns GSO and GRO off (or back on, where the kernel has them).
// Call it before the first ReadBatch; it is for tests and comparisons.
func (u *UDPConn) SetOffloads(gso, gro bool) {
	_ = u.rc.Control(func(fd uintptr) {
		_, err := unix.GetsockoptInt(int(fd), unix.IPPROTO_UDP, unix.UDP_SEGMENT)
		u.gso.Store(gso && err == nil)
		on := 0
		if gro {
			on = 1
		}
		if unix.SetsockoptInt(int(fd), unix.IPPROTO_UDP, unix.UDP_GRO, on) == nil {
			u.gro = gro
		}
	})
	u.r = reader{}
	u.r.init(u)
}

// reader is the state of ReadBatch, which has one caller at a time.
type reader struct {
	hdrs  []unix.Mmsghdr
	iovs  []unix.Iovec
	names []unix.RawSockaddrInet6
	ctrl  []byte
	bufs  [][]byte // GRO only: the coalesced messages

	// Coalesced datagrams read but not yet handed out: message msg, from
	// byte off on.
	got, msg, off int

	n     int // the last recvmmsg's result
	err   error
	calls int                   // recvmmsg calls made, for tests
	fn    func(fd uintptr) bool // r.recv, bound once
}

func (r *reader) init(u *UDPConn) {
	count := IdealBatchSize
	if u.gro {
		count = groMessages
		r.bufs = make([][]byte, count)
		for i := range r.bufs {
			r.bufs[i] = make([]byte, groBufSize)
		}
	}
	r.hdrs = make([]unix.Mmsghdr, count)
	r.iovs = make([]unix.Iovec, count)
	r.names = make([]unix.RawSockaddrInet6, count)
	r.ctrl = make([]byte, count*cmsgSpace)
	r.fn = r.recv
}

// recv is the RawConn.Read callback: one recvmmsg on r.hdrs[:r.n].
func (r *reader) recv(fd uintptr) bool {
	n, _, errno := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&r.hdrs[0])), uintptr(r.n), 0, 0, 0)
	for errno == unix.EINTR {
		n, _, errno = unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&r.hdrs[0])), uintptr(r.n), 0, 0, 0)
	}
	if errno == unix.EAGAIN {
		return false // the poller waits until the socket is readable
	}
	r.n, r.err = int(n), nil
	if errno != 0 {
		r.n, r.err = 0, os.NewSyscallError("recvmmsg", errno)
	}
	return true
}

// ReadBatch reads packets with recvmmsg. It must not be called concurrently.
func (u *UDPConn) ReadBatch(bufs [][]byte, sizes []int, eps []netip.AddrPort) (int, error) {
	if len(bufs) == 0 {
		return 0, nil
	}
	r := &u.r
	if u.gro {
		if r.msg < r.got {
			return r.split(u, bufs, sizes, eps), nil
		}
		for {
			if err := r.read(u, nil, len(r.hdrs)); err != nil {
				return 0, err
			}
			if n := r.split(u, bufs, sizes, eps); n > 0 {
				return n, nil
			}
		}
	}
	for {
		if err := r.read(u, bufs, min(len(bufs), len(r.hdrs))); err != nil {
			return 0, err
		}
		out := 0
		for i := range r.got {
			h := &r.hdrs[i]
			if h.Hdr.Flags&msgTrunc != 0 {
				continue // larger than the buffer
			}
			ep, ok := sockaddrToAddrPort(&r.names[i])
			if !ok {
				continue
			}
			if out != i {
				bufs[out], bufs[i] = bufs[i], bufs[out]
			}
			sizes[out] = int(h.Len)
			eps[out] = ep
			out++
		}
		if out > 0 {
			return out, nil
		}
	}
}

// read receives up to count messages, into bufs or (GRO) r.bufs.
func (r *reader) read(u *UDPConn, bufs [][]byte, count int) error {
	for i := range count {
		b := r.bufs
		if bufs != nil {
			b = bufs
		}
		r.iovs[i].Base = unsafe.SliceData(b[i])
		r.iovs[i].SetLen(len(b[i]))
		h := &r.hdrs[i]
		h.Hdr.Iov = &r.iovs[i]
		h.Hdr.SetIovlen(1)
		h.Hdr.Name = (*byte)(unsafe.Pointer(&r.names[i]))
		h.Hdr.Namelen = unix.SizeofSockaddrInet6
		if u.gro {
			h.Hdr.Control = &r.ctrl[i*cmsgSpace]
			h.Hdr.SetControllen(cmsgSpace)
		}
		h.Hdr.Flags = 0
		h.Len = 0
	}
	r.n = count
	r.calls++
	err := u.rc.Read(r.fn)
	if bufs != nil {
		for i := range count {
			r.iovs[i].Base = nil // keep no caller's buffer alive
		}
	}
	if err != nil {
		return fmt.Errorf("transport: read: %w", err)
	}
	if r.err != nil {
		return fmt.Errorf("transport: read: %w", r.err)
	}
	r.got, r.msg, r.off = r.n, 0, 0
	return nil
}

// split hands out the datagrams of the coalesced messages read, one per
// caller's buffer, and keeps the rest for the next call.
func (r *reader) split(u *UDPConn, bufs [][]byte, sizes []int, eps []netip.AddrPort) int {
	out := 0
	for r.msg < r.got && out < len(bufs) {
		h := &r.hdrs[r.msg]
		ep, ok := sockaddrToAddrPort(&r.names[r.msg])
		if h.Hdr.Flags&msgTrunc != 0 || !ok {
			r.msg, r.off = r.msg+1, 0
			continue
		}
		size := int(h.Len)
		seg := size
		if g := groSize(r.ctrl[r.msg*cmsgSpace : r.msg*cmsgSpace+int(h.Hdr.Controllen)]); g > 0 {
			seg = g
		}
		msg := r.bufs[r.msg][:size]
		if size == 0 { // an empty datagram is a packet too (a malformed one)
			sizes[out], eps[out] = 0, ep
			out++
		}
		for r.off < size && out < len(bufs) {
			end := min(r.off+seg, size)
			if n := copy(bufs[out], msg[r.off:end]); n == end-r.off {
				sizes[out] = n
				eps[out] = ep
				out++
			}
			r.off = end
		}
		if r.off >= size {
			r.msg, r.off = r.msg+1, 0
		}
	}
	return out
}

// groSize returns the segment size of a UDP_GRO control message, or 0.
func groSize(control []byte) int {
	for len(control) >= unix.SizeofCmsghdr {
		hdr, data, rest, err := unix.ParseOneSocketControlMessage(control)
		if err != nil {
			return 0
		}
		if hdr.Level == unix.SOL_UDP && hdr.Type == unix.UDP_GRO && len(data) >= sizeofGSO {
			return int(*(*uint16)(unsafe.Pointer(&data[0])))
		}
		control = rest
	}
	return 0
}

func sockaddrToAddrPort(sa *unix.RawSockaddrInet6) (netip.AddrPort, bool) {
	switch sa.Family {
	case unix.AF_INET6:
		port := (*[2]byte)(unsafe.Pointer(&sa.Port))
		addr := netip.AddrFrom16(sa.Addr)
		if sa.Scope_id != 0 {
			addr = addr.WithZone(strconv.FormatUint(uint64(sa.Scope_id), 10))
		}
		return netip.AddrPortFrom(addr, uint16(port[0])<<8|uint16(port[1])), true
	case unix.AF_INET:
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		port := (*[2]byte)(unsafe.Pointer(&sa4.Port))
		return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), uint16(port[0])<<8|uint16(port[1])), true
	}
	return netip.AddrPort{}, false
}

// writer is the state of one WriteBatch call.
type writer struct {
	hdrs  []unix.Mmsghdr
	first []int // first[i] is the index of message i's first packet
	iovs  []unix.Iovec
	ctrl  []byte
	name  unix.RawSockaddrInet6
	nlen  uint32

	start, n int // messages hdrs[start:n] are still to go
	err      error
	fn       func(fd uintptr) bool // w.send, bound once
}

func newWriter(*UDPConn) any {
	w := &writer{
		hdrs:  make([]unix.Mmsghdr, IdealBatchSize),
		first: make([]int, IdealBatchSize),
		iovs:  make([]unix.Iovec, IdealBatchSize),
		ctrl:  make([]byte, IdealBatchSize*cmsgSpace),
	}
	w.fn = w.send
	return w
}

// send is the RawConn.Write callback: sendmmsg until all of hdrs[start:n]
// went, the socket is full (false: wait) or an error.
func (w *writer) send(fd uintptr) bool {
	for w.start < w.n {
		n, _, errno := unix.Syscall6(unix.SYS_SENDMMSG, fd, uintptr(unsafe.Pointer(&w.hdrs[w.start])), uintptr(w.n-w.start), 0, 0, 0)
		switch errno {
		case 0:
			w.start += int(n)
		case unix.EINTR:
		case unix.EAGAIN:
			return false // the poller waits until the socket has room
		default:
			w.err = os.NewSyscallError("sendmmsg", errno)
			return true
		}
	}
	return true
}

// WriteBatch sends bufs to ep with sendmmsg, runs of equal-sized packets as
// UDP GSO messages.
func (u *UDPConn) WriteBatch(bufs [][]byte, ep netip.AddrPort) error {
	if len(bufs) == 0 {
		return nil
	}
	w := u.wpool.Get().(*writer)
	defer u.wpool.Put(w)
	if err := w.setName(ep, u.is6); err != nil {
		return fmt.Errorf("transport: write to %v: %w", ep, err)
	}
	maxPayload := maxIPv6Payload
	if ep.Addr().Unmap().Is4() {
		maxPayload = maxIPv4Payload
	}
	noGSO := false
	for len(bufs) > 0 {
		gso := u.gso.Load() && !noGSO
		chunk := bufs[:min(len(bufs), len(w.iovs))]
		w.build(chunk, gso, maxPayload)
		err := u.rc.Write(w.fn)
		if err == nil {
			err = w.err
		}
		failed := w.start // the message that failed, if one did
		w.clear(len(chunk))
		if err != nil {
			segmented := failed < w.n && w.hdrs[failed].Hdr.Controllen != 0
			if segmented && (errors.Is(err, unix.EIO) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EMSGSIZE)) {
				if errors.Is(err, unix.EIO) {
					// UDP_SEGMENT needs checksum offload, which this
					// route's device lacks: no more GSO on this socket.
					u.gso.Store(false)
				}
				// Segments larger than the path's MTU (EINVAL), or no
				// offload: what is left goes datagram by datagram.
				bufs = bufs[w.first[failed]:]
				noGSO = true
				continue
			}
			return fmt.Errorf("transport: write to %v: %w", ep, err)
		}
		bufs = bufs[len(chunk):]
	}
	return nil
}

// setName encodes ep as the destination of the next messages.
func (w *writer) setName(ep netip.AddrPort, is6 bool) error {
	addr := ep.Addr()
	port := ep.Port()
	if !is6 {
		addr = addr.Unmap()
		if !addr.Is4() {
			return unix.EAFNOSUPPORT
		}
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(&w.name))
		*sa = unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: addr.As4()}
		p := (*[2]byte)(unsafe.Pointer(&sa.Port))
		p[0], p[1] = byte(port>>8), byte(port)
		w.nlen = unix.SizeofSockaddrInet4
		return nil
	}
	w.name = unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: addr.As16()}
	if z := addr.Zone(); z != "" {
		if id, err := strconv.ParseUint(z, 10, 32); err == nil {
			w.name.Scope_id = uint32(id)
		} else if ifi, err := net.InterfaceByName(z); err == nil {
			w.name.Scope_id = uint32(ifi.Index)
		}
	}
	p := (*[2]byte)(unsafe.Pointer(&w.name.Port))
	p[0], p[1] = byte(port>>8), byte(port)
	w.nlen = unix.SizeofSockaddrInet6
	return nil
}

// build lays out bufs as messages: with gso, each run of packets of one size
// (the last may be shorter) is one message with a UDP_SEGMENT control
// message; without, one message per packet.
func (w *writer) build(bufs [][]byte, gso bool, maxPayload int) {
	w.start, w.n, w.err = 0, 0, nil
	var (
		h     *unix.Mmsghdr
		seg   int // the run's segment size
		count int // packets in the run
		total int // the run's bytes
		ended bool
	)
	for i, b := range bufs {
		w.iovs[i].Base = unsafe.SliceData(b)
		w.iovs[i].SetLen(len(b))
		if gso && h != nil && !ended && len(b) <= seg && count < udpSegmentMaxDatagrams && total+len(b) <= maxPayload {
			count++
			total += len(b)
			h.Hdr.SetIovlen(count)
			ended = len(b) < seg
			if count == 2 {
				w.setSegment(h, seg)
			}
			continue
		}
		h = &w.hdrs[w.n]
		w.first[w.n] = i
		w.n++
		*h = unix.Mmsghdr{}
		h.Hdr.Name = (*byte)(unsafe.Pointer(&w.name))
		h.Hdr.Namelen = w.nlen
		h.Hdr.Iov = &w.iovs[i]
		h.Hdr.SetIovlen(1)
		seg, count, total, ended = len(b), 1, len(b), false
	}
}

// setSegment gives message h (index w.n-1) a UDP_SEGMENT of seg bytes.
func (w *writer) setSegment(h *unix.Mmsghdr, seg int) {
	c := w.ctrl[(w.n-1)*cmsgSpace : w.n*cmsgSpace]
	hdr := (*unix.Cmsghdr)(unsafe.Pointer(&c[0]))
	hdr.Level = unix.SOL_UDP
	hdr.Type = unix.UDP_SEGMENT
	hdr.SetLen(unix.CmsgLen(sizeofGSO))
	*(*uint16)(unsafe.Pointer(&c[unix.CmsgLen(0)])) = uint16(seg)
	h.Hdr.Control = &c[0]
	h.Hdr.SetControllen(cmsgSpace)
}

// clear drops the references to the caller's buffers.
func (w *writer) clear(n int) {
	for i := range n {
		w.iovs[i].Base = nil
	}
	for i := range w.n {
		w.hdrs[i].Hdr.Iov = nil
		w.hdrs[i].Hdr.Control = nil
	}
}

// setForcedBuffers raises the socket buffers past net.core.[rw]mem_max when
// the process may (CAP_NET_ADMIN), as wireguard-go does.
func setForcedBuffers(c *net.UDPConn, size int) {
	rc, err := c.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, size)
		_ = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, size)
	})
}
