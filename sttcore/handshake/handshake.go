package handshake

import (
	"errors"
	"fmt"

	"github.com/flynn/noise"

	"github.com/seigr/stt-tun/sttcore/stc"
	"github.com/seigr/stt-tun/sttcore/stc/tai64n"
	"github.com/seigr/stt-tun/sttcore/wire"
)

// Prologue is mixed into every handshake hash, so that STT handshakes cannot
// be confused with any other use of the same Noise pattern.
const Prologue = "STT/1 STC v1"

// Payload sizes (plaintext) of the two messages.
const (
	HelloPayloadLen    = 16
	ResponsePayloadLen = 4
)

// Flags of the HELLO payload.
const (
	// FlagFresh says the initiator holds no earlier session with the
	// responder: it has just started, or restarted.
	FlagFresh uint8 = 0x01
)

var cipherSuite = noise.NewCipherSuite(noise.DH25519, noise.CipherChaChaPoly, noise.HashBLAKE2s)

var (
	// ErrDecrypt is returned when a handshake message does not authenticate:
	// a wrong network key, a wrong responder key, or tampering.
	ErrDecrypt = errors.New("handshake: message does not authenticate")
	// ErrPayload is returned for a payload with reserved bits set or no
	// common cipher suite.
	ErrPayload = errors.New("handshake: invalid payload")
)

// Identity is a node's static key pair, derived once from its private key.
type Identity struct {
	Private stc.PrivateKey
	Public  stc.PublicKey
	dh      noise.DHKey
}

// NewIdentity derives the static X25519 key pair of a node.
func NewIdentity(k stc.PrivateKey) *Identity {
	priv := k.StaticPrivate()
	pub := k.PublicKey()
	return &Identity{
		Private: k,
		Public:  pub,
		dh:      noise.DHKey{Private: priv[:], Public: pub[:]},
	}
}

// Keys are the result of a completed handshake for one side.
type Keys struct {
	Suite stc.Suite
	// Send and Recv are the DATA keys for this side (already derived for Suite).
	Send, Recv [stc.KeySize]byte
	// Binding is the Noise handshake hash: unique to this handshake, equal on
	// both sides, usable as a session secret for stream subkeys.
	Binding [32]byte
}

// Hello is the content of a HELLO's payload.
type Hello struct {
	Timestamp tai64n.Timestamp
	Suites    stc.Suite
	Flags     uint8
}

func (h *Hello) marshal() [HelloPayloadLen]byte {
	var b [HelloPayloadLen]byte
	copy(b[:tai64n.Size], h.Timestamp[:])
	b[12] = byte(h.Suites)
	b[13] = h.Flags
	return b
}

func (h *Hello) unmarshal(b []byte) error {
	if len(b) != HelloPayloadLen || b[14] != 0 || b[15] != 0 || h == nil {
		return ErrPayload
	}
	copy(h.Timestamp[:], b[:tai64n.Size])
	h.Suites = stc.Suite(b[12])
	h.Flags = b[13]
	if h.Suites&stc.SuiteChaCha20Poly1305 == 0 || h.Flags&^FlagFresh != 0 {
		return ErrPayload
	}
	return nil
}

// Initiator is the initiator's state between HELLO and RESPONSE.
type Initiator struct {
	hs     *noise.HandshakeState
	remote stc.PublicKey
	suites stc.Suite
}

// NewInitiator starts a handshake with the node of public key remote.
func NewInitiator(local *Identity, nk stc.NetworkKey, remote stc.PublicKey) (*Initiator, error) {
	hs, err := noise.NewHandshakeState(noise.Config{
		CipherSuite:           cipherSuite,
		Pattern:               noise.HandshakeIK,
		Initiator:             true,
		Prologue:              []byte(Prologue),
		PresharedKey:          nk[:],
		PresharedKeyPlacement: 2,
		StaticKeypair:         local.dh,
		PeerStatic:            remote[:],
	})
	if err != nil {
		return nil, fmt.Errorf("handshake: %w", err)
	}
	return &Initiator{hs: hs, remote: remote}, nil
}

// WriteHello fills the Noise part of msg (ephemeral, static, payload). The
// caller sets msg.Sender and adds the MACs after marshalling.
func (i *Initiator) WriteHello(msg *wire.Hello, hello *Hello) error {
	payload := hello.marshal()
	out, _, _, err := i.hs.WriteMessage(msg.Noise[:0], payload[:])
	if err != nil {
		return fmt.Errorf("handshake: writing hello: %w", err)
	}
	if len(out) != wire.HelloNoiseLen {
		return fmt.Errorf("handshake: hello of %d bytes, want %d", len(out), wire.HelloNoiseLen)
	}
	i.suites = hello.Suites
	return nil
}

// ReadResponse completes the handshake from the responder's RESPONSE.
func (i *Initiator) ReadResponse(msg *wire.Response) (*Keys, error) {
	var payload [ResponsePayloadLen]byte
	out, csSend, csRecv, err := i.hs.ReadMessage(payload[:0], msg.Noise[:])
	if err != nil {
		return nil, ErrDecrypt
	}
	if len(out) != ResponsePayloadLen || out[1] != 0 || out[2] != 0 || out[3] != 0 {
		return nil, ErrPayload
	}
	suite := stc.Suite(out[0])
	if suite != stc.SuiteChaCha20Poly1305 && suite != stc.SuiteAES256GCM || i.suites&suite == 0 {
		return nil, ErrPayload // the responder chose a suite we did not offer
	}
	return keys(suite, csSend, csRecv, i.hs.ChannelBinding()), nil
}

// Responder is the responder's state after a valid HELLO.
type Responder struct {
	hs    *noise.HandshakeState
	hello Hello
	peer  stc.PublicKey
}

// ReadHello processes a HELLO addressed to local. It returns the responder
// state, from which the initiator's static key and HELLO payload are known.
// It fails with ErrDecrypt for a HELLO not meant for local (or not from this
// network's Noise prologue).
func ReadHello(local *Identity, nk stc.NetworkKey, msg *wire.Hello) (*Responder, error) {
	hs, err := noise.NewHandshakeState(noise.Config{
		CipherSuite:           cipherSuite,
		Pattern:               noise.HandshakeIK,
		Initiator:             false,
		Prologue:              []byte(Prologue),
		PresharedKey:          nk[:],
		PresharedKeyPlacement: 2,
		StaticKeypair:         local.dh,
	})
	if err != nil {
		return nil, fmt.Errorf("handshake: %w", err)
	}
	var payload [HelloPayloadLen]byte
	out, _, _, err := hs.ReadMessage(payload[:0], msg.Noise[:])
	if err != nil {
		return nil, ErrDecrypt
	}
	r := &Responder{hs: hs}
	if err := r.hello.unmarshal(out); err != nil {
		return nil, err
	}
	copy(r.peer[:], hs.PeerStatic())
	if r.peer.Check() != nil {
		return nil, ErrDecrypt
	}
	return r, nil
}

// Peer is the initiator's static public key.
func (r *Responder) Peer() stc.PublicKey { return r.peer }

// Hello is the initiator's HELLO payload.
func (r *Responder) Hello() Hello { return r.hello }

// WriteResponse fills the Noise part of msg with the suite chosen from the
// initiator's offer and local, and returns this side's keys. It fails with
// ErrPayload when the two share no suite.
func (r *Responder) WriteResponse(msg *wire.Response, local stc.Suite) (*Keys, error) {
	suite := stc.NegotiateSuite(r.hello.Suites, local)
	if suite == 0 {
		return nil, ErrPayload
	}
	payload := [ResponsePayloadLen]byte{byte(suite)}
	out, csRecv, csSend, err := r.hs.WriteMessage(msg.Noise[:0], payload[:])
	if err != nil {
		return nil, fmt.Errorf("handshake: writing response: %w", err)
	}
	if len(out) != wire.ResponseNoiseLen {
		return nil, fmt.Errorf("handshake: response of %d bytes, want %d", len(out), wire.ResponseNoiseLen)
	}
	return keys(suite, csSend, csRecv, r.hs.ChannelBinding()), nil
}

func keys(suite stc.Suite, send, recv *noise.CipherState, binding []byte) *Keys {
	k := &Keys{Suite: suite}
	s, r := send.UnsafeKey(), recv.UnsafeKey()
	k.Send = stc.DeriveDataKey(suite, &s)
	k.Recv = stc.DeriveDataKey(suite, &r)
	copy(k.Binding[:], binding)
	clear(s[:])
	clear(r[:])
	return k
}
