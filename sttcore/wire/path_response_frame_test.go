package wire

import "testing"

func TestParsePathResponseFrame(t *testing.T) {
	requireParse(t, []byte{0x1b, 1, 2, 3, 4, 5, 6, 7, 8, 0xaa},
		&PathResponseFrame{Data: [8]byte{1, 2, 3, 4, 5, 6, 7, 8}}, 9)
}

func TestParsePathResponseFrameErrorsOnEOF(t *testing.T) {
	requireTruncatedPrefixes(t, []byte{0x1b, 1, 2, 3, 4, 5, 6, 7, 8})
}

func TestWritePathResponseFrame(t *testing.T) {
	requireAppend(t, &PathResponseFrame{Data: [8]byte{8, 7, 6, 5, 4, 3, 2, 1}}, []byte{0x1b, 8, 7, 6, 5, 4, 3, 2, 1})
}
