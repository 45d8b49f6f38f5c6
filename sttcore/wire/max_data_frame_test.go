package wire

import (
	"testing"

	"github.com/seigr/stt-tun/sttcore/varint"
	"github.com/stretchr/testify/require"
)

func TestParseMaxDataFrame(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want *MaxDataFrame
		n    int
		err  error
	}{
		{"value", []byte{0x10, 0xef, 0xfd, 0xb6, 0xf5, 0x0d, 0xaa}, &MaxDataFrame{Maximum: 0xdeadbeef}, 6, nil},
		{"zero", []byte{0x10, 0x00}, &MaxDataFrame{}, 2, nil},
		{"largest", cat([]byte{0x10}, v62Max), &MaxDataFrame{Maximum: MaxVarint62}, 10, nil},
		{"2^62", cat([]byte{0x10}, v62), nil, 0, ErrInvalidFrame},
		{"2^64-1", cat([]byte{0x10}, vMax), nil, 0, ErrInvalidFrame},
		{"overflow", cat([]byte{0x10}, vOver), nil, 0, varint.ErrOverflow},
		{"non-minimal", cat([]byte{0x10}, vNonMin), nil, 0, ErrNonMinimal},
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

func TestParseMaxDataFrameErrorsOnEOF(t *testing.T) {
	requireTruncatedPrefixes(t, []byte{0x10, 0xef, 0xfd, 0xb6, 0xf5, 0x0d})
}

func TestWriteMaxDataFrame(t *testing.T) {
	requireAppend(t, &MaxDataFrame{Maximum: 0xdeadbeef}, []byte{0x10, 0xef, 0xfd, 0xb6, 0xf5, 0x0d})
	requireAppend(t, &MaxDataFrame{Maximum: MaxVarint62}, cat([]byte{0x10}, v62Max))
	requireAppendError(t, &MaxDataFrame{Maximum: MaxVarint62 + 1}, ErrInvalidFrame)
}

func TestNonMinimalMatchesVarint(t *testing.T) {
	_, _, err := NewFrameParser().ParseNext(cat([]byte{0x10}, vNonMin))
	require.ErrorIs(t, err, ErrNonMinimal)
	require.ErrorIs(t, err, varint.ErrNonMinimal)
}
