package wire

import "testing"

func TestParseStreamDataBlockedFrame(t *testing.T) {
	requireParse(t, []byte{0x15, 0x42, 0xac, 0x02, 0xaa}, &StreamDataBlockedFrame{StreamID: 0x42, Limit: 300}, 4)
	requireParseError(t, cat([]byte{0x15}, v62, []byte{0x00}), ErrInvalidFrame)
	requireParseError(t, cat([]byte{0x15, 0x00}, v62), ErrInvalidFrame)
	requireParseError(t, cat([]byte{0x15}, vNonMin, []byte{0x00}), ErrNonMinimal)
}

func TestParseStreamDataBlockedFrameErrorsOnEOF(t *testing.T) {
	requireTruncatedPrefixes(t, []byte{0x15, 0xb7, 0x26, 0xac, 0x02})
}

func TestWriteStreamDataBlockedFrame(t *testing.T) {
	requireAppend(t, &StreamDataBlockedFrame{StreamID: 0x1337, Limit: 300}, []byte{0x15, 0xb7, 0x26, 0xac, 0x02})
	requireAppendError(t, &StreamDataBlockedFrame{StreamID: MaxVarint62 + 1}, ErrInvalidFrame)
	requireAppendError(t, &StreamDataBlockedFrame{Limit: MaxVarint62 + 1}, ErrInvalidFrame)
}
