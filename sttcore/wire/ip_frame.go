package wire

import "github.com/seigr/stt-tun/sttcore/varint"

// An IPFrame carries one tunnelled IP packet, a datagram that is never
// retransmitted. Without LengthPresent (type 0x20) the packet runs to the end
// of the plaintext, so the frame must be the last one; with it (0x21) a
// length precedes the packet.
type IPFrame struct {
	Packet        []byte
	LengthPresent bool
}

var _ Frame = (*IPFrame)(nil)

// parseIPFrame parses the body of an IP or IP_LEN frame into f; f.Packet
// aliases b.
func parseIPFrame(f *IPFrame, typ FrameType, b []byte) (int, error) {
	l, n := len(b), 0
	if typ == FrameTypeIPLen {
		var err error
		if l, n, err = parseLength(b, typ, "Length"); err != nil {
			return 0, err
		}
	}
	end := n + l
	f.Packet = b[n:end:end]
	f.LengthPresent = typ == FrameTypeIPLen
	return end, nil
}

// Append appends the frame to b.
func (f *IPFrame) Append(b []byte) ([]byte, error) {
	if !f.LengthPresent {
		b = append(b, byte(FrameTypeIP))
		return append(b, f.Packet...), nil
	}
	b = append(b, byte(FrameTypeIPLen))
	b = varint.Append(b, uint64(len(f.Packet)))
	return append(b, f.Packet...), nil
}

// Length is the number of bytes Append adds.
func (f *IPFrame) Length() int {
	if !f.LengthPresent {
		return 1 + len(f.Packet)
	}
	return 1 + varint.Len(uint64(len(f.Packet))) + len(f.Packet)
}
