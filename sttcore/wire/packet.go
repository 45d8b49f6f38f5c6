package wire

import (
	"encoding/binary"
	"strconv"
)

// PacketType is the second byte of every packet (§3).
type PacketType uint8

// Version is the protocol version this package speaks, the first byte of
// every packet.
const Version uint8 = 1

// Packet types (§3).
const (
	TypeHello     PacketType = 1
	TypeResponse  PacketType = 2
	TypeChallenge PacketType = 3
	TypeData      PacketType = 4
)

// Packet sizes and the layout of the common header and of DATA (§3, §3.4).
const (
	// HeaderLen is the common header: version, type, two reserved bytes.
	HeaderLen = 4

	HelloLen     = 152 // a HELLO, exactly
	ResponseLen  = 96  // a RESPONSE, exactly
	ChallengeLen = 64  // a CHALLENGE, exactly

	// DataHeaderLen is the DATA header, which is the AEAD's associated data.
	DataHeaderLen = 16
	// TagLen is the AEAD tag at the end of a DATA packet.
	TagLen = 16
	// MinDataLen is the smallest DATA packet, a keepalive.
	MinDataLen = DataHeaderLen + TagLen

	DataOffsetReceiver = 4  // receiver index, 4 bytes big-endian
	DataOffsetCounter  = 8  // counter, 8 bytes big-endian
	DataOffsetContent  = 16 // sealed frames and tag

	offsetVersion  = 0
	offsetType     = 1
	offsetReserved = 2
)

func (t PacketType) String() string {
	switch t {
	case TypeHello:
		return "HELLO"
	case TypeResponse:
		return "RESPONSE"
	case TypeChallenge:
		return "CHALLENGE"
	case TypeData:
		return "DATA"
	}
	return "PacketType(" + strconv.Itoa(int(t)) + ")"
}

// ParseType classifies a received packet. It checks the version, the type,
// that the reserved bytes are zero, and the size rule of the type: exactly
// HelloLen, ResponseLen or ChallengeLen for handshake packets, at least
// MinDataLen for DATA. It returns ErrBadLength (also for a packet shorter than
// the header), ErrBadVersion, ErrBadType or ErrReserved, and never allocates.
func ParseType(b []byte) (PacketType, error) {
	if len(b) < HeaderLen {
		return 0, ErrBadLength
	}
	if b[offsetVersion] != Version {
		return 0, ErrBadVersion
	}
	t := PacketType(b[offsetType])
	var ok bool
	switch t {
	case TypeHello:
		ok = len(b) == HelloLen
	case TypeResponse:
		ok = len(b) == ResponseLen
	case TypeChallenge:
		ok = len(b) == ChallengeLen
	case TypeData:
		ok = len(b) >= MinDataLen
	default:
		return 0, ErrBadType
	}
	if b[offsetReserved]|b[offsetReserved+1] != 0 {
		return 0, ErrReserved
	}
	if !ok {
		return 0, ErrBadLength
	}
	return t, nil
}

// putHeader writes the common header of a packet of type t.
func putHeader(b []byte, t PacketType) {
	b[offsetVersion] = Version
	b[offsetType] = byte(t)
	b[offsetReserved] = 0
	b[offsetReserved+1] = 0
}

// checkPacket checks that b is a packet of type t and of size n exactly.
func checkPacket(b []byte, t PacketType, n int) error {
	if len(b) != n {
		return ErrBadLength
	}
	if b[offsetVersion] != Version {
		return ErrBadVersion
	}
	if PacketType(b[offsetType]) != t {
		return ErrBadType
	}
	if b[offsetReserved]|b[offsetReserved+1] != 0 {
		return ErrReserved
	}
	return nil
}

// PutDataHeader writes the 16-byte DATA header (version, type, reserved,
// receiver, counter) at the start of b, which must hold DataHeaderLen bytes.
func PutDataHeader(b []byte, receiver Index, counter PacketNumber) {
	_ = b[DataHeaderLen-1] // one bounds check
	putHeader(b, TypeData)
	binary.BigEndian.PutUint32(b[DataOffsetReceiver:], uint32(receiver))
	binary.BigEndian.PutUint64(b[DataOffsetCounter:], uint64(counter))
}

// ParseDataHeader reads the header of a whole DATA packet b (header, sealed
// frames and tag). It returns ErrBadLength if b is shorter than MinDataLen,
// and ErrBadVersion, ErrBadType or ErrReserved for a bad header. It never
// allocates.
func ParseDataHeader(b []byte) (receiver Index, counter PacketNumber, err error) {
	if len(b) < MinDataLen {
		return 0, 0, ErrBadLength
	}
	if err := checkPacket(b[:HeaderLen], TypeData, HeaderLen); err != nil {
		return 0, 0, err
	}
	receiver = Index(binary.BigEndian.Uint32(b[DataOffsetReceiver:]))
	counter = PacketNumber(binary.BigEndian.Uint64(b[DataOffsetCounter:]))
	return receiver, counter, nil
}
