package wire

import "testing"

func TestParseResetStreamFrame(t *testing.T) {
	requireParse(t, []byte{0x04, 0xb7, 0x26, 0x42, 0xfe, 0x95, 0x03, 0xaa},
		&ResetStreamFrame{StreamID: 0x1337, ErrorCode: 0x42, FinalSize: 0xcafe}, 7)
	requireParse(t, cat([]byte{0x04}, v62Max, v62Max, v62Max),
		&ResetStreamFrame{StreamID: MaxVarint62, ErrorCode: MaxVarint62, FinalSize: MaxVarint62}, 28)
	requireParseError(t, cat([]byte{0x04}, v62, []byte{0x00, 0x00}), ErrInvalidFrame)
	requireParseError(t, cat([]byte{0x04, 0x00}, v62, []byte{0x00}), ErrInvalidFrame)
	requireParseError(t, cat([]byte{0x04, 0x00, 0x00}, v62), ErrInvalidFrame)
	requireParseError(t, cat([]byte{0x04, 0x00, 0x00}, vNonMin), ErrNonMinimal)
}

func TestParseResetStreamFrameErrorsOnEOF(t *testing.T) {
	requireTruncatedPrefixes(t, []byte{0x04, 0xb7, 0x26, 0xac, 0x02, 0xfe, 0x95, 0x03})
}

func TestWriteResetStreamFrame(t *testing.T) {
	requireAppend(t, &ResetStreamFrame{StreamID: 0x1337, ErrorCode: 0x42, FinalSize: 0xcafe},
		[]byte{0x04, 0xb7, 0x26, 0x42, 0xfe, 0x95, 0x03})
	requireAppendError(t, &ResetStreamFrame{StreamID: MaxVarint62 + 1}, ErrInvalidFrame)
	requireAppendError(t, &ResetStreamFrame{ErrorCode: MaxVarint62 + 1}, ErrInvalidFrame)
	requireAppendError(t, &ResetStreamFrame{FinalSize: MaxVarint62 + 1}, ErrInvalidFrame)
}
