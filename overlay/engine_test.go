package overlay

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.zx2c4.com/wireguard/tun"
	"golang.zx2c4.com/wireguard/tun/tuntest"

	"github.com/seigr/stt-tun/sttcore"
	"github.com/seigr/stt-tun/sttcore/stc"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var seed = []byte("overlay test network shared seed")

type chanDevice struct{ tun.Device }

// testEngine is one host: an engine on a channel TUN and a loopback port.
type testEngine struct {
	*Engine
	ch   *tuntest.ChannelTUN
	key  stc.PrivateKey
	addr netip.Addr // its overlay address
	port uint16
}

func newHost(t *testing.T, addr string, port uint16) *testEngine {
	k, err := stc.GeneratePrivateKey()
	require.NoError(t, err)
	return &testEngine{key: k, addr: netip.MustParseAddr(addr), port: port, ch: tuntest.NewChannelTUN()}
}

func (h *testEngine) peerConfig(name string, extra ...netip.Prefix) PeerConfig {
	return PeerConfig{
		Name:       name,
		PublicKey:  h.key.PublicKey(),
		Endpoint:   netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), h.port).String(),
		AllowedIPs: append([]netip.Prefix{netip.PrefixFrom(h.addr, 32)}, extra...),
	}
}

func (h *testEngine) start(t *testing.T, peers ...PeerConfig) {
	e, err := New(Config{
		Device:     chanDevice{h.ch.TUN()},
		Node:       sttcore.Config{PrivateKey: h.key, SharedSeed: seed},
		ListenAddr: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), h.port).String(),
		Addresses:  []netip.Prefix{netip.PrefixFrom(h.addr, 24)},
		Peers:      peers,
	})
	require.NoError(t, err)
	h.Engine = e
	t.Cleanup(func() { _ = e.Close() })
}

// freePorts returns n distinct free UDP ports on 127.0.0.1.
func freePorts(t *testing.T, n int) []uint16 {
	var ports []uint16
	for range n {
		s, err := sttcore.Listen("127.0.0.1:0", &sttcore.Config{PrivateKey: mustKey(t)})
		require.NoError(t, err)
		ports = append(ports, s.LocalAddr().Port())
		require.NoError(t, s.Close())
	}
	return ports
}

func mustKey(t *testing.T) stc.PrivateKey {
	k, err := stc.GeneratePrivateKey()
	require.NoError(t, err)
	return k
}

func expectPacket(t *testing.T, ch chan []byte) []byte {
	t.Helper()
	select {
	case p := <-ch:
		return p
	case <-time.After(5 * time.Second):
		t.Fatal("no packet")
		return nil
	}
}

func expectNone(t *testing.T, ch chan []byte) {
	t.Helper()
	select {
	case p := <-ch:
		t.Fatalf("unexpected packet % x", p)
	case <-time.After(200 * time.Millisecond):
	}
}

func TestTwoHosts(t *testing.T) {
	ports := freePorts(t, 2)
	a := newHost(t, "10.77.0.1", ports[0])
	b := newHost(t, "10.77.0.2", ports[1])
	a.start(t, b.peerConfig("b"))
	b.start(t, a.peerConfig("a"))

	ping := tuntest.Ping(b.addr, a.addr)
	a.ch.Outbound <- ping
	select {
	case p := <-b.ch.Inbound:
		require.Equal(t, ping, p)
	case <-time.After(5 * time.Second):
		as, bs := a.Status(), b.Status()
		t.Fatalf("no packet; a: %+v node %+v sess %+v; b: %+v node %+v", as, a.Node().Stats(), sessStats(a), bs, b.Node().Stats())
	}
	pong := tuntest.Ping(a.addr, b.addr)
	b.ch.Outbound <- pong
	require.Equal(t, pong, expectPacket(t, a.ch.Inbound))

	// The channel device hands the packet over before its Write returns and
	// the engine counts it: wait for the count.
	require.Eventually(t, func() bool { p := a.Status().Peers[0]; return p.RxPackets == 1 && p.TxPackets == 1 }, 5*time.Second, 5*time.Millisecond)
	st := a.Status()
	require.Len(t, st.Peers, 1)
	p := st.Peers[0]
	require.Equal(t, "b", p.Name)
	require.True(t, p.Connected)
	require.Equal(t, uint64(1), p.TxPackets)
	require.Equal(t, uint64(len(ping)), p.TxBytes)
	require.Equal(t, uint64(1), p.RxPackets)
	require.Equal(t, uint64(len(pong)), p.RxBytes)
	require.Equal(t, b.peerConfig("b").Endpoint, p.Endpoint)
	require.Empty(t, p.Drops)
}

func TestInnerSourceChecked(t *testing.T) {
	ports := freePorts(t, 2)
	a := newHost(t, "10.77.0.1", ports[0])
	b := newHost(t, "10.77.0.2", ports[1])
	a.start(t, b.peerConfig("b"))
	b.start(t, a.peerConfig("a"))

	// b sends a packet claiming to come from an address that is not b's.
	spoofed := tuntest.Ping(a.addr, netip.MustParseAddr("10.77.0.99"))
	b.ch.Outbound <- spoofed
	// b routes by destination, so the packet does leave b, and a must drop it.
	require.Eventually(t, func() bool { return a.Status().Peers[0].Drops["inner_source"] == 1 }, 5*time.Second, 10*time.Millisecond)
	expectNone(t, a.ch.Inbound)
	// A genuine packet still gets through.
	b.ch.Outbound <- tuntest.Ping(a.addr, b.addr)
	expectPacket(t, a.ch.Inbound)
}

func TestNoRouteGetsICMP(t *testing.T) {
	ports := freePorts(t, 2)
	a := newHost(t, "10.77.0.1", ports[0])
	b := newHost(t, "10.77.0.2", ports[1])
	a.start(t, b.peerConfig("b"))

	lost := tuntest.Ping(netip.MustParseAddr("10.88.0.1"), a.addr)
	a.ch.Outbound <- lost
	reply := expectPacket(t, a.ch.Inbound)
	require.Equal(t, byte(0x45), reply[0])
	require.Equal(t, byte(1), reply[9], "ICMP")
	require.Equal(t, a.addr.As4(), [4]byte(reply[12:16]), "from the interface's address")
	require.Equal(t, a.addr.As4(), [4]byte(reply[16:20]), "to the sender")
	require.Equal(t, byte(3), reply[20], "destination unreachable")
	require.Equal(t, byte(1), reply[21], "host unreachable")
	require.Equal(t, lost[:28], reply[28:56], "quotes the packet")
	require.Zero(t, checksum(reply[:20], 0), "IP checksum")
	require.Zero(t, checksum(reply[20:], 0), "ICMP checksum")
	require.Equal(t, int(binary.BigEndian.Uint16(reply[2:4])), len(reply))
	require.Eventually(t, func() bool { st := a.Status(); return st.NoRoute == 1 && st.ICMPSent == 1 }, 5*time.Second, 10*time.Millisecond)

	// No ICMP error in answer to an ICMP error.
	a.ch.Outbound <- append(append([]byte(nil), reply[:9]...), reply[9:]...)
	expectNone(t, a.ch.Inbound)
}

func TestSetPeers(t *testing.T) {
	ports := freePorts(t, 3)
	a := newHost(t, "10.77.0.1", ports[0])
	b := newHost(t, "10.77.0.2", ports[1])
	c := newHost(t, "10.77.0.3", ports[2])
	a.start(t, b.peerConfig("b"))
	b.start(t, a.peerConfig("a"))
	c.start(t, a.peerConfig("a"))

	// c is not a's peer yet: its handshakes go unanswered.
	c.ch.Outbound <- tuntest.Ping(a.addr, c.addr)
	expectNone(t, a.ch.Inbound)

	// Overlapping claims are refused and change nothing.
	bad := c.peerConfig("c")
	bad.AllowedIPs = []netip.Prefix{netip.MustParsePrefix("10.77.0.2/32")}
	require.ErrorContains(t, a.SetPeers([]PeerConfig{b.peerConfig("b"), bad}), "both claim 10.77.0.2/32")
	require.Len(t, a.Status().Peers, 1)

	require.NoError(t, a.SetPeers([]PeerConfig{b.peerConfig("b"), c.peerConfig("c")}))
	// c's first ping waited in its session's queue while the handshake went
	// unanswered: now that a accepts c, it arrives, then a new one.
	require.Equal(t, c.addr.As4(), [4]byte(expectPacket(t, a.ch.Inbound)[12:16]))
	c.ch.Outbound <- tuntest.Ping(a.addr, c.addr)
	require.Equal(t, c.addr.As4(), [4]byte(expectPacket(t, a.ch.Inbound)[12:16]))
	b.ch.Outbound <- tuntest.Ping(a.addr, b.addr)
	require.Equal(t, b.addr.As4(), [4]byte(expectPacket(t, a.ch.Inbound)[12:16]))

	// Removing b closes its session.
	require.NoError(t, a.SetPeers([]PeerConfig{c.peerConfig("c")}))
	require.Len(t, a.Status().Peers, 1)
	b.ch.Outbound <- tuntest.Ping(a.addr, b.addr)
	expectNone(t, a.ch.Inbound)
}

// An endpoint given as a host name is resolved, and the tunnel works.
func TestHostNameEndpoint(t *testing.T) {
	ports := freePorts(t, 2)
	a := newHost(t, "10.77.0.1", ports[0])
	b := newHost(t, "10.77.0.2", ports[1])
	pc := b.peerConfig("b")
	pc.Endpoint = fmt.Sprintf("localhost:%d", ports[1])
	a.start(t, pc)
	b.start(t, a.peerConfig("a"))
	ping := tuntest.Ping(b.addr, a.addr)
	a.ch.Outbound <- ping
	require.Equal(t, ping, expectPacket(t, b.ch.Inbound))
	st := a.Status().Peers[0]
	require.Equal(t, pc.Endpoint, st.Configured)
	require.Contains(t, []string{fmt.Sprintf("127.0.0.1:%d", ports[1]), fmt.Sprintf("[::1]:%d", ports[1])}, st.Endpoint)
}

// Packets for a peer without an endpoint wait in its session until the peer
// calls in, and are then delivered.
func TestPacketsWaitForPeerToCallIn(t *testing.T) {
	ports := freePorts(t, 2)
	a := newHost(t, "10.77.0.1", ports[0])
	b := newHost(t, "10.77.0.2", ports[1])
	pc := b.peerConfig("b")
	pc.Endpoint = "" // a cannot reach b: b must call
	a.start(t, pc)
	ping := tuntest.Ping(b.addr, a.addr)
	a.ch.Outbound <- ping
	time.Sleep(100 * time.Millisecond) // b is not even running yet
	b.start(t, a.peerConfig("a"))
	require.Equal(t, ping, expectPacket(t, b.ch.Inbound))
	require.Empty(t, a.Status().Peers[0].Drops)
}

func sessStats(h *testEngine) []sttcore.Stats {
	var out []sttcore.Stats
	for _, s := range h.Node().Sessions() {
		out = append(out, s.Stats())
	}
	return out
}
