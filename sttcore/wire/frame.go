package wire

// Frame is a frame of a DATA packet's plaintext.
type Frame interface {
	// Append appends the frame, type byte included, to b. If a field is out
	// of range it returns b unchanged and a *FrameError wrapping
	// ErrInvalidFrame.
	Append(b []byte) ([]byte, error)
	// Length is the number of bytes Append adds.
	Length() int
}

// AppendFrames appends frames in order to b. A frame that extends to the end
// of the plaintext (IP or DATAGRAM without length, STREAM without
// DataLenPresent) must be the last: anywhere else it would swallow the frames
// after it, so AppendFrames returns b unchanged and an error wrapping
// ErrInvalidFrame. It also returns b unchanged on any Append error.
func AppendFrames(b []byte, frames ...Frame) ([]byte, error) {
	start := len(b)
	for i, f := range frames {
		if i < len(frames)-1 {
			if typ, ok := extendsToEnd(f); ok {
				return b[:start], frameError(typ, "frame that extends to the end is not the last", ErrInvalidFrame)
			}
		}
		var err error
		if b, err = f.Append(b); err != nil {
			return b[:start], err
		}
	}
	return b, nil
}

// extendsToEnd reports whether f is written without a length and so takes
// the rest of the plaintext, and its type.
func extendsToEnd(f Frame) (FrameType, bool) {
	switch f := f.(type) {
	case *IPFrame:
		return FrameTypeIP, !f.LengthPresent
	case *DatagramFrame:
		return FrameTypeDatagram, !f.LengthPresent
	case *StreamFrame:
		return FrameTypeStream, !f.DataLenPresent
	}
	return 0, false
}
