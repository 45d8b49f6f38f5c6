package wire

// PathDataLen is the size of the Data of PATH_CHALLENGE and PATH_RESPONSE.
const PathDataLen = 8

// A PathChallengeFrame probes a path; the peer echoes Data in a
// PathResponseFrame.
type PathChallengeFrame struct {
	Data [PathDataLen]byte
}

var _ Frame = (*PathChallengeFrame)(nil)

func parsePathChallengeFrame(b []byte) (*PathChallengeFrame, int, error) {
	if len(b) < PathDataLen {
		return nil, 0, frameError(FrameTypePathChallenge, "Data", ErrTruncated)
	}
	f := &PathChallengeFrame{}
	copy(f.Data[:], b)
	return f, PathDataLen, nil
}

// Append appends the frame to b.
func (f *PathChallengeFrame) Append(b []byte) ([]byte, error) {
	b = append(b, byte(FrameTypePathChallenge))
	return append(b, f.Data[:]...), nil
}

// Length is the number of bytes Append adds.
func (f *PathChallengeFrame) Length() int { return 1 + PathDataLen }
