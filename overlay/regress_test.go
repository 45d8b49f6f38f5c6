package overlay

import (
	"errors"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.zx2c4.com/wireguard/tun"
	"golang.zx2c4.com/wireguard/tun/tuntest"

	"github.com/seigr/stt-tun/sttcore"
)

// Regression tests for defects found in review.

// A prefix moves between peers in one SetPeers, whatever the map order.
func TestSetPeersMovesPrefix(t *testing.T) {
	ports := freePorts(t, 3)
	a := newHost(t, "10.77.0.1", ports[0])
	b := newHost(t, "10.77.0.2", ports[1])
	c := newHost(t, "10.77.0.3", ports[2])
	extra := netip.MustParsePrefix("10.99.0.0/24")
	a.start(t, b.peerConfig("b", extra), c.peerConfig("c"))
	owner := func() string {
		p, ok := a.table.Load().Lookup(netip.MustParseAddr("10.99.0.7"))
		require.True(t, ok)
		return p.config().Name
	}
	for i := range 40 {
		if i%2 == 0 {
			require.NoError(t, a.SetPeers([]PeerConfig{b.peerConfig("b"), c.peerConfig("c", extra)}))
			require.Equal(t, "c", owner())
		} else {
			require.NoError(t, a.SetPeers([]PeerConfig{b.peerConfig("b", extra), c.peerConfig("c")}))
			require.Equal(t, "b", owner())
		}
	}
	// A refused change leaves everything as it was.
	bad := c.peerConfig("c")
	bad.AllowedIPs = append(bad.AllowedIPs, netip.Prefix{})
	require.Error(t, a.SetPeers([]PeerConfig{b.peerConfig("b"), bad}))
	require.Equal(t, "b", owner())
	require.Equal(t, []netip.Prefix{netip.PrefixFrom(b.addr, 32), extra}, a.peer(b.key.PublicKey()).config().AllowedIPs)
}

// No ICMP error about a packet to a multicast or broadcast address.
func TestNoICMPForMulticastOrBroadcast(t *testing.T) {
	var r icmpResponder
	r.init([]netip.Prefix{netip.MustParsePrefix("10.77.0.1/24"), netip.MustParsePrefix("fd00::1/64")})
	v4 := func(dst string) []byte {
		p := make([]byte, 28)
		p[0], p[3], p[9] = 0x45, 28, 17
		copy(p[12:], []byte{10, 77, 0, 1})
		d := netip.MustParseAddr(dst).As4()
		copy(p[16:], d[:])
		return p
	}
	v6 := func(dst string) []byte {
		p := make([]byte, 48)
		p[0], p[5], p[6] = 0x60, 8, 58
		src := netip.MustParseAddr("fd00::1").As16()
		d := netip.MustParseAddr(dst).As16()
		copy(p[8:], src[:])
		copy(p[24:], d[:])
		p[40] = 133 // router solicitation
		return p
	}
	now := time.Now()
	for _, dst := range []string{"224.0.0.251", "255.255.255.255", "10.77.0.255"} {
		require.Nil(t, r.unreachable(v4(dst), now), dst)
	}
	require.Nil(t, r.unreachable(v6("ff02::2"), now))
	require.NotNil(t, r.unreachable(v4("10.88.0.1"), now), "a unicast destination still gets one")
	require.NotNil(t, r.unreachable(v6("fd01::1"), now))
}

type flakyDevice struct {
	chanDevice
	fails atomic.Int32
	err   error
}

func (d *flakyDevice) Read(bufs [][]byte, sizes []int, off int) (int, error) {
	if d.fails.Add(-1) >= 0 {
		return 0, d.err
	}
	return d.chanDevice.Read(bufs, sizes, off)
}

func startFlaky(t *testing.T, fails int32, err error) (*testEngine, *testEngine, *Engine) {
	ports := freePorts(t, 2)
	a := newHost(t, "10.77.0.1", ports[0])
	b := newHost(t, "10.77.0.2", ports[1])
	dev := &flakyDevice{chanDevice: chanDevice{a.ch.TUN()}, err: err}
	dev.fails.Store(fails)
	e, err2 := New(Config{
		Device:     dev,
		Node:       sttcore.Config{PrivateKey: a.key, SharedSeed: seed},
		ListenAddr: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), a.port).String(),
		Addresses:  []netip.Prefix{netip.PrefixFrom(a.addr, 24)},
		Peers:      []PeerConfig{b.peerConfig("b")},
	})
	require.NoError(t, err2)
	t.Cleanup(func() { _ = e.Close() })
	b.start(t, a.peerConfig("a"))
	return a, b, e
}

// ErrTooManySegments is skipped, as wireguard-go does, not counted as a
// failure of the device.
func TestTooManySegmentsIsSkipped(t *testing.T) {
	a, b, e := startFlaky(t, 50, tun.ErrTooManySegments)
	ping := tuntest.Ping(b.addr, a.addr)
	a.ch.Outbound <- ping
	require.Equal(t, ping, expectPacket(t, b.ch.Inbound))
	require.NoError(t, e.Err())
}

// A device that keeps failing stops the engine visibly: Done and Err.
func TestDeviceFailureIsReported(t *testing.T) {
	_, _, e := startFlaky(t, 1000, errors.New("device gone"))
	select {
	case <-e.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the engine did not report its failing device")
	}
	require.ErrorContains(t, e.Err(), "device gone")
}
