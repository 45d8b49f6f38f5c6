package wire

import "github.com/seigr/stt-tun/sttcore/varint"

// A DatagramFrame carries unreliable application data. Without
// LengthPresent (type 0x30) the data runs to the end of the plaintext, so the
// frame must be the last one; with it (0x31) a length precedes the data.
type DatagramFrame struct {
	Data          []byte
	LengthPresent bool
}

var _ Frame = (*DatagramFrame)(nil)

// parseDatagramFrame parses the body of a DATAGRAM or DATAGRAM_LEN frame
// into f; f.Data aliases b.
func parseDatagramFrame(f *DatagramFrame, typ FrameType, b []byte) (int, error) {
	l, n := len(b), 0
	if typ == FrameTypeDatagramLen {
		var err error
		if l, n, err = parseLength(b, typ, "Length"); err != nil {
			return 0, err
		}
	}
	end := n + l
	f.Data = b[n:end:end]
	f.LengthPresent = typ == FrameTypeDatagramLen
	return end, nil
}

// Append appends the frame to b.
func (f *DatagramFrame) Append(b []byte) ([]byte, error) {
	if !f.LengthPresent {
		b = append(b, byte(FrameTypeDatagram))
		return append(b, f.Data...), nil
	}
	b = append(b, byte(FrameTypeDatagramLen))
	b = varint.Append(b, uint64(len(f.Data)))
	return append(b, f.Data...), nil
}

// Length is the number of bytes Append adds.
func (f *DatagramFrame) Length() int {
	if !f.LengthPresent {
		return 1 + len(f.Data)
	}
	return 1 + varint.Len(uint64(len(f.Data))) + len(f.Data)
}
