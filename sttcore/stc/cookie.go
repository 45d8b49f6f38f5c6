package stc

import (
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
)

// Sizes of the handshake MAC fields and of a CHALLENGE's cookie.
const (
	MACSize          = 16
	CookieSize       = 16
	CookieNonceSize  = chacha20poly1305.NonceSizeX
	CookieSealedSize = CookieSize + TagSize
)

// CookieRefreshTime is how long a cookie, and the secret behind it, stays valid.
const CookieRefreshTime = 120 * time.Second

// Every handshake packet ends in mac1 and mac2, 16 bytes each:
//
//	mac1 = MAC(HASH(labelMAC1 || responder public key || network key), packet up to mac1)
//	mac2 = MAC(cookie, packet up to mac2), or zeros when the sender has no cookie
//
// where the cookie is MAC(responder's secret, source address and port),
// handed out in a CHALLENGE sealed with XChaCha20-Poly1305 under
// HASH(labelCookie || responder public key || network key), with the mac1 of
// the packet it answers as associated data.
type macKeys struct {
	mac1   [32]byte
	cookie [32]byte
}

func newMACKeys(responder PublicKey, nk NetworkKey) macKeys {
	return macKeys{
		mac1:   hash256([]byte(labelMAC1), responder[:], nk[:]),
		cookie: hash256([]byte(labelCookie), responder[:], nk[:]),
	}
}

func macOffsets(msg []byte) (smac1, smac2 int, ok bool) {
	if len(msg) < 2*MACSize {
		return 0, 0, false
	}
	smac2 = len(msg) - MACSize
	return smac2 - MACSize, smac2, true
}

// sourceBytes is what a cookie is bound to: the 16-byte address and the port.
func sourceBytes(src netip.AddrPort) [18]byte {
	var b [18]byte
	a := src.Addr().Unmap().As16()
	copy(b[:16], a[:])
	b[16], b[17] = byte(src.Port()>>8), byte(src.Port())
	return b
}

// CookieChecker is the responder's side of the handshake MACs: it checks
// mac1 and mac2 of incoming handshake packets and makes CHALLENGE cookies.
// It is safe for concurrent use.
type CookieChecker struct {
	keys macKeys
	now  func() time.Time

	mu        sync.RWMutex
	secret    [32]byte
	secretSet time.Time
}

// NewCookieChecker returns the checker of a node with public key local in the
// network of key nk. now is the clock (nil means time.Now).
func NewCookieChecker(local PublicKey, nk NetworkKey, now func() time.Time) *CookieChecker {
	if now == nil {
		now = time.Now
	}
	return &CookieChecker{keys: newMACKeys(local, nk), now: now}
}

// CheckMAC1 reports whether msg, a whole handshake packet, carries a valid mac1.
func (c *CookieChecker) CheckMAC1(msg []byte) bool {
	smac1, smac2, ok := macOffsets(msg)
	if !ok {
		return false
	}
	mac := mac128(&c.keys.mac1, msg[:smac1])
	return subtle.ConstantTimeCompare(mac[:], msg[smac1:smac2]) == 1
}

// CheckMAC2 reports whether msg carries a valid mac2 for a cookie that this
// node gave to src within CookieRefreshTime.
func (c *CookieChecker) CheckMAC2(msg []byte, src netip.AddrPort) bool {
	_, smac2, ok := macOffsets(msg)
	if !ok {
		return false
	}
	c.mu.RLock()
	if c.secretSet.IsZero() || c.now().Sub(c.secretSet) > CookieRefreshTime {
		c.mu.RUnlock()
		return false
	}
	cookie := c.cookieLocked(src)
	c.mu.RUnlock()
	mac := mac128Cookie(&cookie, msg[:smac2])
	return subtle.ConstantTimeCompare(mac[:], msg[smac2:]) == 1
}

func (c *CookieChecker) cookieLocked(src netip.AddrPort) [CookieSize]byte {
	s := sourceBytes(src)
	return mac128(&c.secret, s[:])
}

// SealCookie makes the body of a CHALLENGE that answers msg (a handshake
// packet with a valid mac1) from src: a random nonce and the sealed cookie.
func (c *CookieChecker) SealCookie(msg []byte, src netip.AddrPort, nonce *[CookieNonceSize]byte, sealed *[CookieSealedSize]byte) error {
	smac1, smac2, ok := macOffsets(msg)
	if !ok {
		return fmt.Errorf("stc: handshake packet of %d bytes has no MACs", len(msg))
	}
	now := c.now()
	c.mu.Lock()
	if c.secretSet.IsZero() || now.Sub(c.secretSet) > CookieRefreshTime {
		if _, err := rand.Read(c.secret[:]); err != nil {
			c.mu.Unlock()
			return fmt.Errorf("stc: cookie secret: %w", err)
		}
		c.secretSet = now
	}
	cookie := c.cookieLocked(src)
	c.mu.Unlock()

	if _, err := rand.Read(nonce[:]); err != nil {
		return fmt.Errorf("stc: cookie nonce: %w", err)
	}
	aead, err := chacha20poly1305.NewX(c.keys.cookie[:])
	if err != nil {
		return err
	}
	aead.Seal(sealed[:0], nonce[:], cookie[:], msg[smac1:smac2])
	return nil
}

// CookieGenerator is the sender's side of the handshake MACs for one remote
// node: it writes mac1 and, while it holds a fresh cookie, mac2. It is safe
// for concurrent use.
type CookieGenerator struct {
	keys macKeys
	now  func() time.Time

	mu          sync.Mutex
	cookie      [CookieSize]byte
	cookieSet   time.Time
	lastMAC1    [MACSize]byte
	hasLastMAC1 bool
}

// NewCookieGenerator returns the generator for handshake packets sent to the
// node with public key remote in the network of key nk. now is the clock
// (nil means time.Now).
func NewCookieGenerator(remote PublicKey, nk NetworkKey, now func() time.Time) *CookieGenerator {
	if now == nil {
		now = time.Now
	}
	return &CookieGenerator{keys: newMACKeys(remote, nk), now: now}
}

// AddMACs writes mac1 and mac2 into the last 32 bytes of msg, a whole
// handshake packet. mac2 is zero unless a cookie younger than
// CookieRefreshTime is held.
func (g *CookieGenerator) AddMACs(msg []byte) {
	smac1, smac2, ok := macOffsets(msg)
	if !ok {
		return
	}
	mac1 := mac128(&g.keys.mac1, msg[:smac1])
	copy(msg[smac1:smac2], mac1[:])

	g.mu.Lock()
	defer g.mu.Unlock()
	g.lastMAC1 = mac1
	g.hasLastMAC1 = true
	if g.cookieSet.IsZero() || g.now().Sub(g.cookieSet) > CookieRefreshTime {
		clear(msg[smac2:])
		return
	}
	mac2 := mac128Cookie(&g.cookie, msg[:smac2])
	copy(msg[smac2:], mac2[:])
}

// ConsumeChallenge opens the cookie of a CHALLENGE that answers the last
// packet this generator wrote MACs into. It reports whether the cookie was
// authentic; an authentic one is used for mac2 from then on.
func (g *CookieGenerator) ConsumeChallenge(nonce *[CookieNonceSize]byte, sealed *[CookieSealedSize]byte) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.hasLastMAC1 {
		return false
	}
	aead, err := chacha20poly1305.NewX(g.keys.cookie[:])
	if err != nil {
		return false
	}
	var cookie [CookieSize]byte
	if _, err := aead.Open(cookie[:0], nonce[:], sealed[:], g.lastMAC1[:]); err != nil {
		return false
	}
	g.cookie = cookie
	g.cookieSet = g.now()
	return true
}

// mac128Cookie is mac128 keyed with a 16-byte cookie.
func mac128Cookie(cookie *[CookieSize]byte, msg []byte) [16]byte {
	return mac128Keyed(cookie[:], msg)
}
