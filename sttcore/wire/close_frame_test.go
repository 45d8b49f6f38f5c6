package wire

import (
	"strings"
	"testing"
)

func TestParseCloseFrame(t *testing.T) {
	long := strings.Repeat("é", MaxReasonLen/2) // 1024 bytes of UTF-8
	tests := []struct {
		name string
		data []byte
		want *CloseFrame
		n    int
		err  error
	}{
		{"reason", []byte{0x1c, 0x42, 0x06, 'f', 'o', 'o', 'b', 'a', 'r', 0xaa}, &CloseFrame{ErrorCode: 0x42, Reason: "foobar"}, 9, nil},
		{"no reason", []byte{0x1c, 0xb7, 0x26, 0x00}, &CloseFrame{ErrorCode: 0x1337}, 4, nil},
		{"longest reason", cat([]byte{0x1c, 0x00, 0x80, 0x08}, []byte(long)), &CloseFrame{Reason: long}, 4 + MaxReasonLen, nil},
		{"reason too long", cat([]byte{0x1c, 0x00, 0x81, 0x08}, []byte(long), []byte{'x'}), nil, 0, ErrInvalidFrame},
		{"reason not UTF-8", []byte{0x1c, 0x00, 0x02, 0xff, 0xfe}, nil, 0, ErrInvalidFrame},
		{"error code 2^62", cat([]byte{0x1c}, v62, []byte{0x00}), nil, 0, ErrInvalidFrame},
		{"reason overruns", []byte{0x1c, 0x00, 0x05, 'a'}, nil, 0, ErrTruncated},
		{"non-minimal length", []byte{0x1c, 0x00, 0x80, 0x00}, nil, 0, ErrNonMinimal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err != nil {
				requireParseError(t, tt.data, tt.err)
				return
			}
			requireParse(t, tt.data, tt.want, tt.n)
		})
	}
}

func TestParseCloseFrameErrorsOnEOF(t *testing.T) {
	requireTruncatedPrefixes(t, []byte{0x1c, 0xb7, 0x26, 0x06, 'f', 'o', 'o', 'b', 'a', 'r'})
}

func TestWriteCloseFrame(t *testing.T) {
	requireAppend(t, &CloseFrame{ErrorCode: 0x1337, Reason: "foobar"}, []byte{0x1c, 0xb7, 0x26, 0x06, 'f', 'o', 'o', 'b', 'a', 'r'})
	requireAppend(t, &CloseFrame{}, []byte{0x1c, 0x00, 0x00})
	requireAppendError(t, &CloseFrame{ErrorCode: MaxVarint62 + 1}, ErrInvalidFrame)
	requireAppendError(t, &CloseFrame{Reason: strings.Repeat("x", MaxReasonLen+1)}, ErrInvalidFrame)
	requireAppendError(t, &CloseFrame{Reason: "\xff"}, ErrInvalidFrame)
}
