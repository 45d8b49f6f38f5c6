package wire

import "fmt"

// FrameType is the first byte of a frame (§5).
type FrameType uint8

// Frame types (§5).
const (
	FrameTypePadding           FrameType = 0x00
	FrameTypePing              FrameType = 0x01
	FrameTypeAck               FrameType = 0x02
	FrameTypeResetStream       FrameType = 0x04
	FrameTypeStopSending       FrameType = 0x05
	FrameTypeStream            FrameType = 0x08 // 0x08–0x0f: the low three bits are flags
	FrameTypeMaxData           FrameType = 0x10
	FrameTypeMaxStreamData     FrameType = 0x11
	FrameTypeMaxStreams        FrameType = 0x12
	FrameTypeDataBlocked       FrameType = 0x14
	FrameTypeStreamDataBlocked FrameType = 0x15
	FrameTypeStreamsBlocked    FrameType = 0x16
	FrameTypePathChallenge     FrameType = 0x1a
	FrameTypePathResponse      FrameType = 0x1b
	FrameTypeClose             FrameType = 0x1c
	FrameTypeIP                FrameType = 0x20 // packet to the end of the plaintext
	FrameTypeIPLen             FrameType = 0x21 // length-prefixed packet
	FrameTypeDatagram          FrameType = 0x30 // data to the end of the plaintext
	FrameTypeDatagramLen       FrameType = 0x31 // length-prefixed data
	FrameTypeApplicationMin    FrameType = 0x80 // 0x80–0xff: application frames
)

// Flags in the low bits of a STREAM frame type (§5.6).
const (
	streamFlagOff = 0x04 // an Offset field is present
	streamFlagLen = 0x02 // a Length field is present
	streamFlagFin = 0x01 // the data ends the stream
)

// IsStream reports whether t is one of the STREAM types 0x08–0x0f.
func (t FrameType) IsStream() bool { return t&^0x07 == FrameTypeStream }

// IsApplication reports whether t is in the application range 0x80–0xff.
func (t FrameType) IsApplication() bool { return t >= FrameTypeApplicationMin }

var frameTypeNames = [...]string{
	FrameTypePadding:           "PADDING",
	FrameTypePing:              "PING",
	FrameTypeAck:               "ACK",
	FrameTypeResetStream:       "RESET_STREAM",
	FrameTypeStopSending:       "STOP_SENDING",
	FrameTypeMaxData:           "MAX_DATA",
	FrameTypeMaxStreamData:     "MAX_STREAM_DATA",
	FrameTypeMaxStreams:        "MAX_STREAMS",
	FrameTypeDataBlocked:       "DATA_BLOCKED",
	FrameTypeStreamDataBlocked: "STREAM_DATA_BLOCKED",
	FrameTypeStreamsBlocked:    "STREAMS_BLOCKED",
	FrameTypePathChallenge:     "PATH_CHALLENGE",
	FrameTypePathResponse:      "PATH_RESPONSE",
	FrameTypeClose:             "CLOSE",
	FrameTypeIP:                "IP",
	FrameTypeIPLen:             "IP_LEN",
	FrameTypeDatagram:          "DATAGRAM",
	FrameTypeDatagramLen:       "DATAGRAM_LEN",
}

// String returns the name §5 gives t, e.g. "ACK", "STREAM(0x0b)",
// "APPLICATION(0x85)" or "unknown(0x03)".
func (t FrameType) String() string {
	switch {
	case t.IsStream():
		return fmt.Sprintf("STREAM(%#02x)", uint8(t))
	case t.IsApplication():
		return fmt.Sprintf("APPLICATION(%#02x)", uint8(t))
	case int(t) < len(frameTypeNames) && frameTypeNames[t] != "":
		return frameTypeNames[t]
	}
	return fmt.Sprintf("unknown(%#02x)", uint8(t))
}
