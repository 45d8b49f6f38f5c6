package wire

import "github.com/seigr/stt-tun/sttcore/varint"

// A StreamFrame carries data of a reliable stream (§5.6).
//
// Append writes an Offset field when Offset is not zero or OffsetPresent is
// set, and a Length field when DataLenPresent is set; without it the data
// runs to the end of the plaintext and the frame must be the last one. The
// parser sets both flags from the frame type, so a parsed frame re-appends to
// the bytes it came from.
type StreamFrame struct {
	StreamID       StreamID
	Offset         ByteCount
	Data           []byte
	Fin            bool
	DataLenPresent bool
	// OffsetPresent forces an Offset field even when Offset is zero. The
	// specification allows a sender to write one; Append omits it by default.
	OffsetPresent bool
}

var _ Frame = (*StreamFrame)(nil)

// parseStreamFrame parses the body of a STREAM frame of type typ into f;
// f.Data aliases b.
func parseStreamFrame(f *StreamFrame, typ FrameType, b []byte) (int, error) {
	id, pos, err := parseVarint62(b, typ, "Stream ID")
	if err != nil {
		return 0, err
	}
	var off uint64
	if typ&streamFlagOff != 0 {
		var n int
		if off, n, err = parseVarint62(b[pos:], typ, "Offset"); err != nil {
			return 0, err
		}
		pos += n
	}
	l := len(b) - pos
	if typ&streamFlagLen != 0 {
		var n int
		if l, n, err = parseLength(b[pos:], typ, "Length"); err != nil {
			return 0, err
		}
		pos += n
	}
	// off ≤ MaxVarint62 and l < len(b): the sum cannot overflow.
	if off+uint64(l) > MaxVarint62 {
		return 0, frameError(typ, "offset plus length is 2^62 or more", ErrInvalidFrame)
	}
	end := pos + l
	*f = StreamFrame{
		StreamID:       StreamID(id),
		Offset:         ByteCount(off),
		Data:           b[pos:end:end],
		Fin:            typ&streamFlagFin != 0,
		DataLenPresent: typ&streamFlagLen != 0,
		OffsetPresent:  typ&streamFlagOff != 0,
	}
	return end, nil
}

func (f *StreamFrame) hasOffset() bool { return f.Offset != 0 || f.OffsetPresent }

// Type is the frame type Append writes.
func (f *StreamFrame) Type() FrameType {
	t := FrameTypeStream
	if f.hasOffset() {
		t |= streamFlagOff
	}
	if f.DataLenPresent {
		t |= streamFlagLen
	}
	if f.Fin {
		t |= streamFlagFin
	}
	return t
}

// Append appends the frame to b. It fails if StreamID or Offset is 2^62 or
// more, or if Offset plus the data length is.
func (f *StreamFrame) Append(b []byte) ([]byte, error) {
	typ := f.Type()
	if err := check62(uint64(f.StreamID), typ, "Stream ID"); err != nil {
		return b, err
	}
	if err := check62(uint64(f.Offset), typ, "Offset"); err != nil {
		return b, err
	}
	if uint64(f.Offset)+uint64(len(f.Data)) > MaxVarint62 {
		return b, frameError(typ, "offset plus length is 2^62 or more", ErrInvalidFrame)
	}
	b = append(b, byte(typ))
	b = varint.Append(b, uint64(f.StreamID))
	if f.hasOffset() {
		b = varint.Append(b, uint64(f.Offset))
	}
	if f.DataLenPresent {
		b = varint.Append(b, uint64(len(f.Data)))
	}
	return append(b, f.Data...), nil
}

// Length is the number of bytes Append adds.
func (f *StreamFrame) Length() int {
	return f.headerLen() + len(f.Data)
}

// headerLen is the frame's size without the data and its Length field.
func (f *StreamFrame) headerLen() int {
	n := 1 + varint.Len(uint64(f.StreamID))
	if f.hasOffset() {
		n += varint.Len(uint64(f.Offset))
	}
	if f.DataLenPresent {
		n += varint.Len(uint64(len(f.Data)))
	}
	return n
}

// DataLen is the length of the data.
func (f *StreamFrame) DataLen() ByteCount { return ByteCount(len(f.Data)) }

// MaxDataLen returns how many bytes of data fit in a frame of at most
// maxSize bytes with f's StreamID, Offset and flags, or 0 if not even the
// header fits.
func (f *StreamFrame) MaxDataLen(maxSize int) ByteCount {
	hdr := 1 + varint.Len(uint64(f.StreamID))
	if f.hasOffset() {
		hdr += varint.Len(uint64(f.Offset))
	}
	if hdr >= maxSize {
		return 0
	}
	avail := uint64(maxSize - hdr)
	if !f.DataLenPresent {
		return ByteCount(avail)
	}
	// The largest d with varint.Len(d) + d ≤ avail: a Length field of the
	// size avail needs always fits, and one byte more may fit when d's
	// field is shorter.
	d := avail - uint64(varint.Len(avail))
	if d+1+uint64(varint.Len(d+1)) <= avail {
		d++
	}
	return ByteCount(d)
}
