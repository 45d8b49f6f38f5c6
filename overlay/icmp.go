package overlay

import (
	"encoding/binary"
	"net/netip"
	"time"
)

// icmpResponder makes the ICMP errors a router sends for a packet it has no
// route for: destination unreachable, host (IPv4) or address (IPv6)
// unreachable, as WireGuard does. It is used by the outbound goroutine only.
type icmpResponder struct {
	src4, src6 netip.Addr
	subnets4   []netip.Prefix // the interface's IPv4 subnets, for their broadcast addresses
	buf        []byte
	tokens     float64
	last       time.Time
}

// ICMP errors are limited to icmpRate per second with bursts of icmpBurst, so
// that a flood of unroutable packets cannot become a flood of replies.
const (
	icmpRate  = 100
	icmpBurst = 50
)

func (r *icmpResponder) init(addrs []netip.Prefix) {
	for _, a := range addrs {
		ip := a.Addr().Unmap()
		if ip.Is4() {
			if !r.src4.IsValid() {
				r.src4 = ip
			}
			if a.Bits() < 31 {
				r.subnets4 = append(r.subnets4, netip.PrefixFrom(ip, a.Bits()).Masked())
			}
		}
		if ip.Is6() && !r.src6.IsValid() {
			r.src6 = ip
		}
	}
	r.buf = make([]byte, headroom+1280)
	r.tokens = icmpBurst
}

func (r *icmpResponder) allow(now time.Time) bool {
	r.tokens = min(icmpBurst, r.tokens+now.Sub(r.last).Seconds()*icmpRate)
	r.last = now
	if r.tokens < 1 {
		return false
	}
	r.tokens--
	return true
}

// unreachable returns the ICMP error for pkt, at offset headroom in its
// buffer, or nil when none is due: the packet is itself an ICMP error, a
// later fragment, from an address one does not answer, or over the rate.
func (r *icmpResponder) unreachable(pkt []byte, now time.Time) []byte {
	if len(pkt) == 0 {
		return nil
	}
	switch pkt[0] >> 4 {
	case 4:
		return r.unreachable4(pkt, now)
	case 6:
		return r.unreachable6(pkt, now)
	}
	return nil
}

func (r *icmpResponder) unreachable4(pkt []byte, now time.Time) []byte {
	if len(pkt) < 20 || !r.src4.IsValid() {
		return nil
	}
	ihl := int(pkt[0]&0x0f) * 4
	src := netip.AddrFrom4([4]byte(pkt[12:16]))
	dst := netip.AddrFrom4([4]byte(pkt[16:20]))
	if ihl < 20 || len(pkt) < ihl || !answerable(src) || src == broadcast4 ||
		dst.IsMulticast() || dst == broadcast4 || r.isSubnetBroadcast(dst) {
		return nil // RFC 1122 §3.2.2: no errors about multicast or broadcast
	}
	if binary.BigEndian.Uint16(pkt[6:8])&0x1fff != 0 {
		return nil // not the first fragment
	}
	if pkt[9] == 1 && len(pkt) > ihl && isICMPv4Error(pkt[ihl]) {
		return nil
	}
	if !r.allow(now) {
		return nil
	}
	quote := pkt[:min(len(pkt), 576-28)]
	total := 28 + len(quote)
	b := r.buf[headroom : headroom+total]
	clear(b[:28])
	b[0] = 0x45
	binary.BigEndian.PutUint16(b[2:4], uint16(total))
	b[8] = 64 // TTL
	b[9] = 1  // ICMP
	s4 := r.src4.As4()
	copy(b[12:16], s4[:])
	copy(b[16:20], pkt[12:16])
	binary.BigEndian.PutUint16(b[10:12], checksum(b[:20], 0))
	b[20] = 3 // destination unreachable
	b[21] = 1 // host unreachable
	copy(b[28:], quote)
	binary.BigEndian.PutUint16(b[22:24], checksum(b[20:], 0))
	return r.buf[:headroom+total]
}

func isICMPv4Error(typ byte) bool {
	switch typ {
	case 3, 4, 5, 11, 12:
		return true
	}
	return false
}

func (r *icmpResponder) unreachable6(pkt []byte, now time.Time) []byte {
	if len(pkt) < 40 || !r.src6.IsValid() {
		return nil
	}
	src := netip.AddrFrom16([16]byte(pkt[8:24]))
	dst := netip.AddrFrom16([16]byte(pkt[24:40]))
	if !answerable(src) || dst.IsMulticast() {
		return nil // RFC 4443 §2.4(e)
	}
	if pkt[6] == 58 && len(pkt) > 40 && pkt[40] < 128 {
		return nil // an ICMPv6 error
	}
	if !r.allow(now) {
		return nil
	}
	quote := pkt[:min(len(pkt), 1280-48)]
	total := 48 + len(quote)
	b := r.buf[headroom : headroom+total]
	clear(b[:48])
	b[0] = 0x60
	binary.BigEndian.PutUint16(b[4:6], uint16(8+len(quote)))
	b[6] = 58 // ICMPv6
	b[7] = 64 // hop limit
	s6 := r.src6.As16()
	copy(b[8:24], s6[:])
	copy(b[24:40], pkt[8:24])
	b[40] = 1 // destination unreachable
	b[41] = 3 // address unreachable
	copy(b[48:], quote)
	// Checksum over the pseudo-header: source, destination, length, next header.
	var pseudo uint32
	for i := 8; i < 40; i += 2 {
		pseudo += uint32(binary.BigEndian.Uint16(b[i:]))
	}
	pseudo += uint32(8 + len(quote))
	pseudo += 58
	binary.BigEndian.PutUint16(b[42:44], checksum(b[40:], pseudo))
	return r.buf[:headroom+total]
}

var broadcast4 = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// isSubnetBroadcast reports whether dst is the broadcast address of one of
// the interface's IPv4 subnets.
func (r *icmpResponder) isSubnetBroadcast(dst netip.Addr) bool {
	for _, p := range r.subnets4 {
		if !p.Contains(dst) {
			continue
		}
		b := p.Addr().As4()
		host := uint32(1)<<(32-p.Bits()) - 1
		v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]) | host
		if dst == netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}) {
			return true
		}
	}
	return false
}

// answerable reports whether an ICMP error may be sent to src (RFC 1812
// §4.3.2.7, RFC 4443 §2.4): not unspecified, multicast or loopback.
func answerable(src netip.Addr) bool {
	return src.IsValid() && !src.IsUnspecified() && !src.IsMulticast() && !src.IsLoopback()
}

// checksum is the Internet checksum (RFC 1071) of b, starting from sum.
func checksum(b []byte, sum uint32) uint16 {
	for len(b) >= 2 {
		sum += uint32(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}
