package tun

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// testOffset is the headroom the tests ask for in front of each packet, as
// overlay will for its DATA header. The device needs at least 10 for the
// virtio-net header on Write.
const testOffset = 16

// ioTimeout bounds every blocking read in these tests; it is a safety net
// against hangs, not a wait for a condition.
const ioTimeout = 20 * time.Second

// headroomMarker fills the bytes before each packet to show that Read leaves
// them alone.
const headroomMarker = 0xAA

const (
	ipv4HeaderLen = 20
	ipv6HeaderLen = 40
	udpHeaderLen  = 8
)

// checksum folds the one's-complement sum of b onto initial.
func checksum(b []byte, initial uint32) uint16 {
	sum := initial
	for ; len(b) >= 2; b = b[2:] {
		sum += uint32(binary.BigEndian.Uint16(b))
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return uint16(sum)
}

// pseudoHeaderSum is the sum of the UDP pseudo-header of RFC 768/RFC 8200.
func pseudoHeaderSum(src, dst netip.Addr, udpLen int) uint32 {
	var sum uint32
	for _, a := range []netip.Addr{src, dst} {
		b := a.AsSlice()
		for i := 0; i < len(b); i += 2 {
			sum += uint32(binary.BigEndian.Uint16(b[i:]))
		}
	}
	return sum + unix.IPPROTO_UDP + uint32(udpLen)
}

// buildUDP returns an IPv4 or IPv6 UDP packet with valid checksums.
func buildUDP(src, dst netip.AddrPort, payload []byte) []byte {
	udpLen := udpHeaderLen + len(payload)
	var pkt, udp []byte
	if src.Addr().Is4() {
		pkt = make([]byte, ipv4HeaderLen+udpLen)
		pkt[0] = 0x45
		binary.BigEndian.PutUint16(pkt[2:], uint16(len(pkt)))
		pkt[8] = 64 // TTL
		pkt[9] = unix.IPPROTO_UDP
		copy(pkt[12:16], src.Addr().AsSlice())
		copy(pkt[16:20], dst.Addr().AsSlice())
		binary.BigEndian.PutUint16(pkt[10:], ^checksum(pkt[:ipv4HeaderLen], 0))
		udp = pkt[ipv4HeaderLen:]
	} else {
		pkt = make([]byte, ipv6HeaderLen+udpLen)
		pkt[0] = 0x60
		binary.BigEndian.PutUint16(pkt[4:], uint16(udpLen))
		pkt[6] = unix.IPPROTO_UDP
		pkt[7] = 64 // hop limit
		copy(pkt[8:24], src.Addr().AsSlice())
		copy(pkt[24:40], dst.Addr().AsSlice())
		udp = pkt[ipv6HeaderLen:]
	}
	binary.BigEndian.PutUint16(udp[0:], src.Port())
	binary.BigEndian.PutUint16(udp[2:], dst.Port())
	binary.BigEndian.PutUint16(udp[4:], uint16(udpLen))
	copy(udp[udpHeaderLen:], payload)
	c := ^checksum(udp, pseudoHeaderSum(src.Addr(), dst.Addr(), udpLen))
	if c == 0 {
		c = 0xffff
	}
	binary.BigEndian.PutUint16(udp[6:], c)
	return pkt
}

// parseUDP parses an IPv4 or IPv6 UDP packet and verifies its lengths and
// checksums.
func parseUDP(pkt []byte) (src, dst netip.AddrPort, payload []byte, err error) {
	if len(pkt) < 1 {
		return src, dst, nil, errors.New("empty packet")
	}
	var srcIP, dstIP netip.Addr
	var udp []byte
	switch pkt[0] >> 4 {
	case 4:
		if len(pkt) < ipv4HeaderLen || pkt[0]&0xf != 5 {
			return src, dst, nil, errors.New("short or optioned IPv4 header")
		}
		if int(binary.BigEndian.Uint16(pkt[2:])) != len(pkt) {
			return src, dst, nil, fmt.Errorf("IPv4 total length %d, packet %d", binary.BigEndian.Uint16(pkt[2:]), len(pkt))
		}
		if checksum(pkt[:ipv4HeaderLen], 0) != 0xffff {
			return src, dst, nil, errors.New("bad IPv4 header checksum")
		}
		if pkt[9] != unix.IPPROTO_UDP {
			return src, dst, nil, fmt.Errorf("IPv4 protocol %d", pkt[9])
		}
		srcIP = netip.AddrFrom4([4]byte(pkt[12:16]))
		dstIP = netip.AddrFrom4([4]byte(pkt[16:20]))
		udp = pkt[ipv4HeaderLen:]
	case 6:
		if len(pkt) < ipv6HeaderLen {
			return src, dst, nil, errors.New("short IPv6 header")
		}
		if int(binary.BigEndian.Uint16(pkt[4:]))+ipv6HeaderLen != len(pkt) {
			return src, dst, nil, errors.New("IPv6 payload length mismatch")
		}
		if pkt[6] != unix.IPPROTO_UDP {
			return src, dst, nil, fmt.Errorf("IPv6 next header %d", pkt[6])
		}
		srcIP = netip.AddrFrom16([16]byte(pkt[8:24]))
		dstIP = netip.AddrFrom16([16]byte(pkt[24:40]))
		udp = pkt[ipv6HeaderLen:]
	default:
		return src, dst, nil, fmt.Errorf("IP version %d", pkt[0]>>4)
	}
	if len(udp) < udpHeaderLen || int(binary.BigEndian.Uint16(udp[4:])) != len(udp) {
		return src, dst, nil, errors.New("UDP length mismatch")
	}
	if checksum(udp, pseudoHeaderSum(srcIP, dstIP, len(udp))) != 0xffff {
		return src, dst, nil, errors.New("bad UDP checksum")
	}
	src = netip.AddrPortFrom(srcIP, binary.BigEndian.Uint16(udp[0:]))
	dst = netip.AddrPortFrom(dstIP, binary.BigEndian.Uint16(udp[2:]))
	return src, dst, udp[udpHeaderLen:], nil
}

func TestChecksumHelpers(t *testing.T) {
	// The test helpers must be right for the packet tests to mean anything.
	src := netip.MustParseAddrPort("10.0.0.2:9999")
	dst := netip.MustParseAddrPort("10.0.0.1:4242")
	pkt := buildUDP(src, dst, []byte("abc"))
	gotSrc, gotDst, payload, err := parseUDP(pkt)
	require.NoError(t, err)
	require.Equal(t, src, gotSrc)
	require.Equal(t, dst, gotDst)
	require.Equal(t, []byte("abc"), payload)
	pkt[len(pkt)-1] ^= 1
	_, _, _, err = parseUDP(pkt)
	require.ErrorContains(t, err, "UDP checksum")
}

// readBuffers returns a full batch of buffers with headroom for d, the
// headroom filled with headroomMarker.
func readBuffers(d *Device) ([][]byte, []int) {
	bufs := make([][]byte, d.BatchSize())
	for i := range bufs {
		bufs[i] = make([]byte, testOffset+d.MTU())
		for j := range testOffset {
			bufs[i][j] = headroomMarker
		}
	}
	return bufs, make([]int, len(bufs))
}

// readUDPTo reads batches from d until it has want UDP packets addressed to
// dst, ignoring other packets (such as MLD reports), and returns them with
// the number of packets each Read call returned.
func readUDPTo(t *testing.T, d *Device, dst netip.AddrPort, want int) (pkts [][]byte, perRead []int) {
	t.Helper()
	require.NoError(t, d.Inner().File().SetReadDeadline(time.Now().Add(ioTimeout)))
	bufs, sizes := readBuffers(d)
	for len(pkts) < want {
		n, err := d.Read(bufs, sizes, testOffset)
		require.NoError(t, err)
		require.Positive(t, n)
		perRead = append(perRead, n)
		for i := range n {
			require.Equal(t, bytes.Repeat([]byte{headroomMarker}, testOffset), bufs[i][:testOffset],
				"Read wrote into the headroom")
			pkt := bufs[i][testOffset : testOffset+sizes[i]]
			_, gotDst, _, err := parseUDP(pkt)
			if err == nil && gotDst == dst {
				pkts = append(pkts, bytes.Clone(pkt))
			}
		}
	}
	return pkts, perRead
}

// writeBuffer returns pkt placed testOffset bytes into a buffer with room to
// grow, as the device's GRO may append coalesced packets to it.
func writeBuffer(pkt []byte) []byte {
	b := make([]byte, testOffset+len(pkt), testOffset+MaxMTU)
	copy(b[testOffset:], pkt)
	return b
}

// listenUDP opens a UDP socket in ns on addr, port 0.
func listenUDP(t *testing.T, ns *testNS, addr netip.Addr) *net.UDPConn {
	t.Helper()
	c, err := inNS(ns, func() (*net.UDPConn, error) {
		return net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(addr, 0)))
	})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// TestPacketRoundTrip sends a datagram from a socket into the TUN and reads
// it with Read, then writes a reply with Write and receives it on the
// socket: Read, Write, the offset and the virtio-net header handling.
func TestPacketRoundTrip(t *testing.T) {
	tests := []struct {
		name          string
		local, remote netip.Addr
	}{
		{"IPv4", netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")},
		{"IPv6", netip.MustParseAddr("fd00::1"), netip.MustParseAddr("fd00::2")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := newTestNS(t)
			d := ns.create(t, Config{Name: "stt-rt", Addresses: pfxs("10.0.0.1/24", "fd00::1/64")})
			conn := listenUDP(t, ns, tt.local)
			local := conn.LocalAddr().(*net.UDPAddr).AddrPort()
			remote := netip.AddrPortFrom(tt.remote, 9999)

			out := []byte("stt-tun to the TUN, " + tt.name)
			_, err := conn.WriteToUDPAddrPort(out, remote)
			require.NoError(t, err)
			pkts, _ := readUDPTo(t, d, remote, 1)
			src, _, payload, err := parseUDP(pkts[0])
			require.NoError(t, err)
			require.Equal(t, map[bool]byte{true: 4, false: 6}[tt.local.Is4()], pkts[0][0]>>4)
			require.Equal(t, local, src)
			require.Equal(t, out, payload)

			in := []byte("stt-tun from the TUN, " + tt.name)
			_, err = d.Write([][]byte{writeBuffer(buildUDP(remote, local, in))}, testOffset)
			require.NoError(t, err)
			require.NoError(t, conn.SetReadDeadline(time.Now().Add(ioTimeout)))
			buf := make([]byte, 2048)
			n, from, err := conn.ReadFromUDPAddrPort(buf)
			require.NoError(t, err)
			require.Equal(t, remote, netip.AddrPortFrom(from.Addr().Unmap(), from.Port()))
			require.Equal(t, in, buf[:n])
		})
	}
}

// TestWriteBatch writes a batch of datagrams of one flow in one Write and
// checks that the socket receives every one. With UDP GRO on the socket, the
// datagrams arrive as one message only if the device coalesced them (GRO)
// into one segmented packet, which proves the offload.
func TestWriteBatch(t *testing.T) {
	const count = 8
	tests := []struct {
		name          string
		local, remote netip.Addr
		socketGRO     bool
	}{
		{"IPv4", netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), false},
		{"IPv6", netip.MustParseAddr("fd00::1"), netip.MustParseAddr("fd00::2"), false},
		{"IPv4 coalesced", netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), true},
		{"IPv6 coalesced", netip.MustParseAddr("fd00::1"), netip.MustParseAddr("fd00::2"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns := newTestNS(t)
			d := ns.create(t, Config{Name: "stt-wb", Addresses: pfxs("10.0.0.1/24", "fd00::1/64")})
			if tt.socketGRO && (d.BatchSize() == 1 || !kernelAtLeast(t, 6, 2)) {
				t.Skip("UDP GRO on TUN writes needs vnet_hdr and Linux 6.2+")
			}
			conn := listenUDP(t, ns, tt.local)
			if tt.socketGRO {
				setUDPOption(t, conn, unix.UDP_GRO, 1)
			}
			local := conn.LocalAddr().(*net.UDPAddr).AddrPort()
			remote := netip.AddrPortFrom(tt.remote, 9999)

			var bufs [][]byte
			var want []string
			for i := range count {
				p := fmt.Sprintf("datagram %03d %s", i, strings.Repeat("x", 300))
				want = append(want, p)
				bufs = append(bufs, writeBuffer(buildUDP(remote, local, []byte(p))))
			}
			for len(bufs) > 0 {
				k := min(len(bufs), d.BatchSize())
				_, err := d.Write(bufs[:k], testOffset)
				require.NoError(t, err)
				bufs = bufs[k:]
			}

			require.NoError(t, conn.SetReadDeadline(time.Now().Add(ioTimeout)))
			buf := make([]byte, 65536)
			if tt.socketGRO {
				n, _, _, _, err := conn.ReadMsgUDPAddrPort(buf, nil)
				require.NoError(t, err)
				require.Equal(t, strings.Join(want, ""), string(buf[:n]),
					"the device did not coalesce the batch into one UDP GSO packet")
				return
			}
			var got []string
			for range count {
				n, err := conn.Read(buf)
				require.NoError(t, err)
				got = append(got, string(buf[:n]))
			}
			require.ElementsMatch(t, want, got)
		})
	}
}

// setUDPOption sets a SOL_UDP socket option on c.
func setUDPOption(t *testing.T, c *net.UDPConn, opt, value int) {
	t.Helper()
	rc, err := c.SyscallConn()
	require.NoError(t, err)
	var serr error
	require.NoError(t, rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_UDP, opt, value)
	}))
	require.NoError(t, serr)
}

// TestReadSegmented sends one UDP GSO write of several segments (UDP_SEGMENT)
// towards the TUN and checks that Read returns every segment as a valid
// packet. With USO (Linux 6.2+ and vnet_hdr) the kernel hands the whole
// super-packet to the device and one Read splits it.
func TestReadSegmented(t *testing.T) {
	const segSize, segs = 200, 5
	ns := newTestNS(t)
	d := ns.create(t, Config{Name: "stt-gso", Addresses: pfxs("10.0.0.1/24")})
	if d.BatchSize() == 1 {
		t.Skip("the kernel gave the TUN device no virtio-net header, so no checksum offload for UDP_SEGMENT")
	}
	conn := listenUDP(t, ns, netip.MustParseAddr("10.0.0.1"))
	setUDPOption(t, conn, unix.UDP_SEGMENT, segSize)

	remote := netip.MustParseAddrPort("10.0.0.2:9999")
	msg := make([]byte, segSize*segs)
	for i := range msg {
		msg[i] = byte(i / segSize)
	}
	_, err := conn.WriteToUDPAddrPort(msg, remote)
	require.NoError(t, err)

	pkts, perRead := readUDPTo(t, d, remote, segs)
	t.Logf("packets per Read: %v", perRead)
	for i, pkt := range pkts {
		_, _, payload, err := parseUDP(pkt)
		require.NoError(t, err)
		require.Equal(t, msg[i*segSize:(i+1)*segSize], payload, "segment %d", i)
	}
	if kernelAtLeast(t, 6, 2) {
		require.Equal(t, segs, perRead[len(perRead)-1],
			"Linux 6.2+ should deliver the UDP GSO packet whole (USO) for one Read to split")
	}
}

// kernelAtLeast reports whether the running kernel is at least major.minor.
func kernelAtLeast(t *testing.T, major, minor int) bool {
	t.Helper()
	var u unix.Utsname
	require.NoError(t, unix.Uname(&u))
	rel := unix.ByteSliceToString(u.Release[:])
	var maj, mnr int
	_, err := fmt.Sscanf(rel, "%d.%d", &maj, &mnr)
	require.NoError(t, err, "kernel release %q", rel)
	return maj > major || maj == major && mnr >= minor
}
