package wire

import "github.com/seigr/stt-tun/sttcore/varint"

// An ApplicationFrame is a frame of type 0x80–0xff, left to applications of
// sttcore (§5.15). It is always length-prefixed, so a receiver without a
// handler for its type can skip it.
type ApplicationFrame struct {
	Type FrameType
	Data []byte
}

var _ Frame = (*ApplicationFrame)(nil)

// parseApplicationFrame parses the body of an application frame into f;
// f.Data aliases b.
func parseApplicationFrame(f *ApplicationFrame, typ FrameType, b []byte) (int, error) {
	l, n, err := parseLength(b, typ, "Length")
	if err != nil {
		return 0, err
	}
	end := n + l
	f.Type = typ
	f.Data = b[n:end:end]
	return end, nil
}

// Append appends the frame to b. Type must be at least
// FrameTypeApplicationMin.
func (f *ApplicationFrame) Append(b []byte) ([]byte, error) {
	if !f.Type.IsApplication() {
		return b, frameError(f.Type, "application frame type below 0x80", ErrInvalidFrame)
	}
	b = append(b, byte(f.Type))
	b = varint.Append(b, uint64(len(f.Data)))
	return append(b, f.Data...), nil
}

// Length is the number of bytes Append adds.
func (f *ApplicationFrame) Length() int {
	return 1 + varint.Len(uint64(len(f.Data))) + len(f.Data)
}
