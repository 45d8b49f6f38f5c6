package wire

import "testing"

func TestParseStopSendingFrame(t *testing.T) {
	requireParse(t, []byte{0x05, 0xb7, 0x26, 0x42, 0xaa}, &StopSendingFrame{StreamID: 0x1337, ErrorCode: 0x42}, 4)
	requireParse(t, cat([]byte{0x05}, v62Max, v62Max),
		&StopSendingFrame{StreamID: MaxVarint62, ErrorCode: MaxVarint62}, 19)
	requireParseError(t, cat([]byte{0x05}, v62, []byte{0x00}), ErrInvalidFrame)
	requireParseError(t, cat([]byte{0x05, 0x00}, v62), ErrInvalidFrame)
}

func TestParseStopSendingFrameErrorsOnEOF(t *testing.T) {
	requireTruncatedPrefixes(t, []byte{0x05, 0xb7, 0x26, 0xac, 0x02})
}

func TestWriteStopSendingFrame(t *testing.T) {
	requireAppend(t, &StopSendingFrame{StreamID: 0x1337, ErrorCode: 300}, []byte{0x05, 0xb7, 0x26, 0xac, 0x02})
	requireAppendError(t, &StopSendingFrame{StreamID: MaxVarint62 + 1}, ErrInvalidFrame)
	requireAppendError(t, &StopSendingFrame{ErrorCode: MaxVarint62 + 1}, ErrInvalidFrame)
}
