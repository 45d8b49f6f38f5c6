package wire

// A PathResponseFrame echoes the Data of a PathChallengeFrame.
type PathResponseFrame struct {
	Data [PathDataLen]byte
}

var _ Frame = (*PathResponseFrame)(nil)

func parsePathResponseFrame(b []byte) (*PathResponseFrame, int, error) {
	if len(b) < PathDataLen {
		return nil, 0, frameError(FrameTypePathResponse, "Data", ErrTruncated)
	}
	f := &PathResponseFrame{}
	copy(f.Data[:], b)
	return f, PathDataLen, nil
}

// Append appends the frame to b.
func (f *PathResponseFrame) Append(b []byte) ([]byte, error) {
	b = append(b, byte(FrameTypePathResponse))
	return append(b, f.Data[:]...), nil
}

// Length is the number of bytes Append adds.
func (f *PathResponseFrame) Length() int { return 1 + PathDataLen }
