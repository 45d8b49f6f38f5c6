package wire

import "testing"

func TestParsePathChallengeFrame(t *testing.T) {
	requireParse(t, []byte{0x1a, 1, 2, 3, 4, 5, 6, 7, 8, 0xaa},
		&PathChallengeFrame{Data: [8]byte{1, 2, 3, 4, 5, 6, 7, 8}}, 9)
}

func TestParsePathChallengeFrameErrorsOnEOF(t *testing.T) {
	requireTruncatedPrefixes(t, []byte{0x1a, 1, 2, 3, 4, 5, 6, 7, 8})
}

func TestWritePathChallengeFrame(t *testing.T) {
	requireAppend(t, &PathChallengeFrame{Data: [8]byte{8, 7, 6, 5, 4, 3, 2, 1}}, []byte{0x1a, 8, 7, 6, 5, 4, 3, 2, 1})
}
