package wire

import (
	"unicode/utf8"

	"github.com/seigr/stt-tun/sttcore/varint"
)

// A CloseFrame ends the session. Reason is UTF-8 of at most MaxReasonLen
// bytes.
type CloseFrame struct {
	ErrorCode ErrorCode
	Reason    string
}

var _ Frame = (*CloseFrame)(nil)

func parseCloseFrame(b []byte) (*CloseFrame, int, error) {
	code, n1, err := parseVarint62(b, FrameTypeClose, "Error Code")
	if err != nil {
		return nil, 0, err
	}
	l, n2, err := parseVarint(b[n1:])
	if err != nil {
		return nil, 0, frameError(FrameTypeClose, "Reason Length", err)
	}
	if l > MaxReasonLen {
		return nil, 0, frameError(FrameTypeClose, "reason longer than 1024 bytes", ErrInvalidFrame)
	}
	start := n1 + n2
	if l > uint64(len(b)-start) {
		return nil, 0, frameError(FrameTypeClose, "Reason Length overruns the plaintext", ErrTruncated)
	}
	reason := b[start : start+int(l)]
	if !utf8.Valid(reason) {
		return nil, 0, frameError(FrameTypeClose, "reason is not UTF-8", ErrInvalidFrame)
	}
	return &CloseFrame{ErrorCode: ErrorCode(code), Reason: string(reason)}, start + int(l), nil
}

// Append appends the frame to b.
func (f *CloseFrame) Append(b []byte) ([]byte, error) {
	if err := check62(uint64(f.ErrorCode), FrameTypeClose, "Error Code"); err != nil {
		return b, err
	}
	if len(f.Reason) > MaxReasonLen {
		return b, frameError(FrameTypeClose, "reason longer than 1024 bytes", ErrInvalidFrame)
	}
	if !utf8.ValidString(f.Reason) {
		return b, frameError(FrameTypeClose, "reason is not UTF-8", ErrInvalidFrame)
	}
	b = append(b, byte(FrameTypeClose))
	b = varint.Append(b, uint64(f.ErrorCode))
	b = varint.Append(b, uint64(len(f.Reason)))
	return append(b, f.Reason...), nil
}

// Length is the number of bytes Append adds.
func (f *CloseFrame) Length() int {
	return 1 + varint.Len(uint64(f.ErrorCode)) + varint.Len(uint64(len(f.Reason))) + len(f.Reason)
}
