package stc

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func testKeys(t testing.TB) (PublicKey, NetworkKey) {
	k, err := GeneratePrivateKey()
	require.NoError(t, err)
	return k.PublicKey(), DeriveNetworkKey([]byte("a shared seed of this network"))
}

func TestMAC1(t *testing.T) {
	responder, nk := testKeys(t)
	clock := &fakeClock{t: time.Unix(1e9, 0)}
	checker := NewCookieChecker(responder, nk, clock.now)

	msg := make([]byte, 152)
	copy(msg, "a handshake packet")
	NewCookieGenerator(responder, nk, clock.now).AddMACs(msg)
	require.True(t, checker.CheckMAC1(msg))

	// Every bit of the packet before mac2 is covered by mac1.
	for i := range (len(msg) - MACSize) * 8 {
		m := append([]byte(nil), msg...)
		m[i/8] ^= 1 << (i % 8)
		require.False(t, checker.CheckMAC1(m), "bit %d", i)
	}

	// A sender with another network key, or who aims at another node, fails.
	other := DeriveNetworkKey([]byte("another network's shared seed"))
	m := append([]byte(nil), msg...)
	NewCookieGenerator(responder, other, clock.now).AddMACs(m)
	require.False(t, checker.CheckMAC1(m))
	otherNode, _ := testKeys(t)
	m = append([]byte(nil), msg...)
	NewCookieGenerator(otherNode, nk, clock.now).AddMACs(m)
	require.False(t, checker.CheckMAC1(m))
	require.False(t, checker.CheckMAC1(msg[:20]))
}

func TestCookieFlow(t *testing.T) {
	responder, nk := testKeys(t)
	clock := &fakeClock{t: time.Unix(1e9, 0)}
	checker := NewCookieChecker(responder, nk, clock.now)
	gen := NewCookieGenerator(responder, nk, clock.now)
	src := netip.MustParseAddrPort("192.0.2.1:4000")

	msg := make([]byte, 152)
	gen.AddMACs(msg)
	require.Equal(t, make([]byte, MACSize), msg[len(msg)-MACSize:], "no cookie yet: mac2 is zero")
	require.False(t, checker.CheckMAC2(msg, src))

	var nonce [CookieNonceSize]byte
	var sealed [CookieSealedSize]byte
	require.NoError(t, checker.SealCookie(msg, src, &nonce, &sealed))

	// A tampered challenge is refused.
	bad := sealed
	bad[3] ^= 1
	require.False(t, gen.ConsumeChallenge(&nonce, &bad))
	require.True(t, gen.ConsumeChallenge(&nonce, &sealed))

	gen.AddMACs(msg)
	require.True(t, checker.CheckMAC1(msg))
	require.True(t, checker.CheckMAC2(msg, src))
	require.False(t, checker.CheckMAC2(msg, netip.MustParseAddrPort("192.0.2.1:4001")), "cookie is bound to the port")
	require.False(t, checker.CheckMAC2(msg, netip.MustParseAddrPort("192.0.2.2:4000")), "cookie is bound to the address")
	require.True(t, checker.CheckMAC2(msg, netip.MustParseAddrPort("[::ffff:192.0.2.1]:4000")), "mapped form is the same source")

	// Cookies expire with the secret.
	clock.advance(CookieRefreshTime + time.Second)
	require.False(t, checker.CheckMAC2(msg, src))
	gen.AddMACs(msg)
	require.Equal(t, make([]byte, MACSize), msg[len(msg)-MACSize:], "an expired cookie is not used")
}

func TestChallengeForAnotherPacketIsRefused(t *testing.T) {
	responder, nk := testKeys(t)
	checker := NewCookieChecker(responder, nk, nil)
	gen := NewCookieGenerator(responder, nk, nil)
	src := netip.MustParseAddrPort("192.0.2.1:4000")

	first := make([]byte, 96)
	gen.AddMACs(first)
	var nonce [CookieNonceSize]byte
	var sealed [CookieSealedSize]byte
	require.NoError(t, checker.SealCookie(first, src, &nonce, &sealed))

	second := make([]byte, 96)
	second[5] = 1
	gen.AddMACs(second) // the generator has moved on: the challenge's AD no longer matches
	require.False(t, gen.ConsumeChallenge(&nonce, &sealed))

	fresh := NewCookieGenerator(responder, nk, nil)
	require.False(t, fresh.ConsumeChallenge(&nonce, &sealed), "nothing was sent yet")
}

func BenchmarkCheckMAC1(b *testing.B) {
	responder, nk := testKeys(b)
	checker := NewCookieChecker(responder, nk, nil)
	msg := make([]byte, 152)
	NewCookieGenerator(responder, nk, nil).AddMACs(msg)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if !checker.CheckMAC1(msg) {
			b.Fatal("mac1")
		}
	}
}
