package wire

import "testing"

func TestParseDataBlockedFrame(t *testing.T) {
	requireParse(t, []byte{0x14, 0xc0, 0xc4, 0x07, 0xaa}, &DataBlockedFrame{Limit: 123456}, 4)
	requireParse(t, cat([]byte{0x14}, v62Max), &DataBlockedFrame{Limit: MaxVarint62}, 10)
	requireParseError(t, cat([]byte{0x14}, v62), ErrInvalidFrame)
	requireParseError(t, cat([]byte{0x14}, vNonMin), ErrNonMinimal)
}

func TestParseDataBlockedFrameErrorsOnEOF(t *testing.T) {
	requireTruncatedPrefixes(t, []byte{0x14, 0xc0, 0xc4, 0x07})
}

func TestWriteDataBlockedFrame(t *testing.T) {
	requireAppend(t, &DataBlockedFrame{Limit: 123456}, []byte{0x14, 0xc0, 0xc4, 0x07})
	requireAppendError(t, &DataBlockedFrame{Limit: MaxVarint62 + 1}, ErrInvalidFrame)
}
