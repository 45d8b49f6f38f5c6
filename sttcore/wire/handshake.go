package wire

import "encoding/binary"

// Handshake packet layouts (§3.1–§3.3). Every field has a named offset; the
// MACs are computed over the bytes before their offset.
const (
	HelloNoiseLen    = 112 // Noise message 1: ephemeral 32, static 32+16, payload 16+16
	ResponseNoiseLen = 52  // Noise message 2: ephemeral 32, payload 4+16
	MACLen           = 16  // mac1 and mac2
	CookieNonceLen   = 24  // XChaCha20-Poly1305 nonce
	CookieSealedLen  = 32  // 16-byte cookie and its tag

	HelloOffsetSender = 4
	HelloOffsetNoise  = 8
	HelloOffsetMAC1   = 120
	HelloOffsetMAC2   = 136

	ResponseOffsetSender   = 4
	ResponseOffsetReceiver = 8
	ResponseOffsetNoise    = 12
	ResponseOffsetMAC1     = 64
	ResponseOffsetMAC2     = 80

	ChallengeOffsetReceiver = 4
	ChallengeOffsetNonce    = 8
	ChallengeOffsetCookie   = 32
)

// Hello is the initiator's first handshake message (§3.1).
type Hello struct {
	Sender Index
	Noise  [HelloNoiseLen]byte
	MAC1   [MACLen]byte
	MAC2   [MACLen]byte
}

// Marshal writes m, header included, to the first HelloLen bytes of b.
func (m *Hello) Marshal(b []byte) {
	_ = b[HelloLen-1]
	putHeader(b, TypeHello)
	binary.BigEndian.PutUint32(b[HelloOffsetSender:], uint32(m.Sender))
	copy(b[HelloOffsetNoise:HelloOffsetMAC1], m.Noise[:])
	copy(b[HelloOffsetMAC1:HelloOffsetMAC2], m.MAC1[:])
	copy(b[HelloOffsetMAC2:HelloLen], m.MAC2[:])
}

// Unmarshal reads a HELLO of exactly HelloLen bytes. It returns ErrBadLength,
// ErrBadVersion, ErrBadType or ErrReserved, and leaves m unchanged on error.
func (m *Hello) Unmarshal(b []byte) error {
	if err := checkPacket(b, TypeHello, HelloLen); err != nil {
		return err
	}
	m.Sender = Index(binary.BigEndian.Uint32(b[HelloOffsetSender:]))
	copy(m.Noise[:], b[HelloOffsetNoise:HelloOffsetMAC1])
	copy(m.MAC1[:], b[HelloOffsetMAC1:HelloOffsetMAC2])
	copy(m.MAC2[:], b[HelloOffsetMAC2:HelloLen])
	return nil
}

// Response is the responder's answer to a HELLO (§3.2).
type Response struct {
	Sender   Index
	Receiver Index
	Noise    [ResponseNoiseLen]byte
	MAC1     [MACLen]byte
	MAC2     [MACLen]byte
}

// Marshal writes m, header included, to the first ResponseLen bytes of b.
func (m *Response) Marshal(b []byte) {
	_ = b[ResponseLen-1]
	putHeader(b, TypeResponse)
	binary.BigEndian.PutUint32(b[ResponseOffsetSender:], uint32(m.Sender))
	binary.BigEndian.PutUint32(b[ResponseOffsetReceiver:], uint32(m.Receiver))
	copy(b[ResponseOffsetNoise:ResponseOffsetMAC1], m.Noise[:])
	copy(b[ResponseOffsetMAC1:ResponseOffsetMAC2], m.MAC1[:])
	copy(b[ResponseOffsetMAC2:ResponseLen], m.MAC2[:])
}

// Unmarshal reads a RESPONSE of exactly ResponseLen bytes. It returns
// ErrBadLength, ErrBadVersion, ErrBadType or ErrReserved, and leaves m
// unchanged on error.
func (m *Response) Unmarshal(b []byte) error {
	if err := checkPacket(b, TypeResponse, ResponseLen); err != nil {
		return err
	}
	m.Sender = Index(binary.BigEndian.Uint32(b[ResponseOffsetSender:]))
	m.Receiver = Index(binary.BigEndian.Uint32(b[ResponseOffsetReceiver:]))
	copy(m.Noise[:], b[ResponseOffsetNoise:ResponseOffsetMAC1])
	copy(m.MAC1[:], b[ResponseOffsetMAC1:ResponseOffsetMAC2])
	copy(m.MAC2[:], b[ResponseOffsetMAC2:ResponseLen])
	return nil
}

// Challenge is the cookie a busy responder sends instead of a RESPONSE (§3.3).
type Challenge struct {
	Receiver Index
	Nonce    [CookieNonceLen]byte
	Cookie   [CookieSealedLen]byte
}

// Marshal writes m, header included, to the first ChallengeLen bytes of b.
func (m *Challenge) Marshal(b []byte) {
	_ = b[ChallengeLen-1]
	putHeader(b, TypeChallenge)
	binary.BigEndian.PutUint32(b[ChallengeOffsetReceiver:], uint32(m.Receiver))
	copy(b[ChallengeOffsetNonce:ChallengeOffsetCookie], m.Nonce[:])
	copy(b[ChallengeOffsetCookie:ChallengeLen], m.Cookie[:])
}

// Unmarshal reads a CHALLENGE of exactly ChallengeLen bytes. It returns
// ErrBadLength, ErrBadVersion, ErrBadType or ErrReserved, and leaves m
// unchanged on error.
func (m *Challenge) Unmarshal(b []byte) error {
	if err := checkPacket(b, TypeChallenge, ChallengeLen); err != nil {
		return err
	}
	m.Receiver = Index(binary.BigEndian.Uint32(b[ChallengeOffsetReceiver:]))
	copy(m.Nonce[:], b[ChallengeOffsetNonce:ChallengeOffsetCookie])
	copy(m.Cookie[:], b[ChallengeOffsetCookie:ChallengeLen])
	return nil
}
