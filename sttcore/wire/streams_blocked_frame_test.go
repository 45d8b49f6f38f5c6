package wire

import "testing"

func TestParseStreamsBlockedFrame(t *testing.T) {
	requireParse(t, []byte{0x16, 0x0a, 0xaa}, &StreamsBlockedFrame{Limit: 10}, 2)
	requireParse(t, cat([]byte{0x16}, v62Max), &StreamsBlockedFrame{Limit: MaxVarint62}, 10)
	requireParseError(t, cat([]byte{0x16}, v62), ErrInvalidFrame)
	requireParseError(t, cat([]byte{0x16}, vNonMin), ErrNonMinimal)
}

func TestParseStreamsBlockedFrameErrorsOnEOF(t *testing.T) {
	requireTruncatedPrefixes(t, []byte{0x16, 0x88, 0x27})
}

func TestWriteStreamsBlockedFrame(t *testing.T) {
	requireAppend(t, &StreamsBlockedFrame{Limit: 5000}, []byte{0x16, 0x88, 0x27})
	requireAppendError(t, &StreamsBlockedFrame{Limit: MaxVarint62 + 1}, ErrInvalidFrame)
}
