package wire

import "testing"

func TestParseMaxStreamDataFrame(t *testing.T) {
	requireParse(t, []byte{0x11, 0xef, 0xfd, 0x02, 0xc0, 0x84, 0x3d, 0xaa},
		&MaxStreamDataFrame{StreamID: 0xbeef, Maximum: 1000000}, 7)
	requireParse(t, cat([]byte{0x11}, v62Max, v62Max),
		&MaxStreamDataFrame{StreamID: MaxVarint62, Maximum: MaxVarint62}, 19)
	requireParseError(t, cat([]byte{0x11}, v62, []byte{0x00}), ErrInvalidFrame)
	requireParseError(t, cat([]byte{0x11, 0x00}, v62), ErrInvalidFrame)
	requireParseError(t, cat([]byte{0x11, 0x00}, vNonMin), ErrNonMinimal)
}

func TestParseMaxStreamDataFrameErrorsOnEOF(t *testing.T) {
	requireTruncatedPrefixes(t, []byte{0x11, 0xef, 0xfd, 0x02, 0xc0, 0x84, 0x3d})
}

func TestWriteMaxStreamDataFrame(t *testing.T) {
	requireAppend(t, &MaxStreamDataFrame{StreamID: 0xbeef, Maximum: 1000000},
		[]byte{0x11, 0xef, 0xfd, 0x02, 0xc0, 0x84, 0x3d})
	requireAppendError(t, &MaxStreamDataFrame{StreamID: MaxVarint62 + 1}, ErrInvalidFrame)
	requireAppendError(t, &MaxStreamDataFrame{Maximum: MaxVarint62 + 1}, ErrInvalidFrame)
}
