package wire

import "testing"

func TestParseMaxStreamsFrame(t *testing.T) {
	requireParse(t, []byte{0x12, 0x64, 0xaa}, &MaxStreamsFrame{Maximum: 100}, 2)
	requireParse(t, cat([]byte{0x12}, v62Max), &MaxStreamsFrame{Maximum: MaxVarint62}, 10)
	requireParseError(t, cat([]byte{0x12}, v62), ErrInvalidFrame)
	requireParseError(t, cat([]byte{0x12}, vNonMin), ErrNonMinimal)
}

func TestParseMaxStreamsFrameErrorsOnEOF(t *testing.T) {
	requireTruncatedPrefixes(t, []byte{0x12, 0xac, 0x02})
}

func TestWriteMaxStreamsFrame(t *testing.T) {
	requireAppend(t, &MaxStreamsFrame{Maximum: 300}, []byte{0x12, 0xac, 0x02})
	requireAppendError(t, &MaxStreamsFrame{Maximum: MaxVarint62 + 1}, ErrInvalidFrame)
}
