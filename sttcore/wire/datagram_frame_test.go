package wire

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseDatagramFrame(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want *DatagramFrame
		n    int
		err  error
	}{
		{"to the end", []byte{0x30, 'f', 'o', 'o'}, &DatagramFrame{Data: []byte("foo")}, 4, nil},
		{"to the end, empty", []byte{0x30}, &DatagramFrame{Data: []byte{}}, 1, nil},
		{"with length", []byte{0x31, 0x03, 'f', 'o', 'o', 0xaa}, &DatagramFrame{Data: []byte("foo"), LengthPresent: true}, 5, nil},
		{"with length, empty", []byte{0x31, 0x00}, &DatagramFrame{Data: []byte{}, LengthPresent: true}, 2, nil},
		{"length overruns", []byte{0x31, 0x04, 'f', 'o', 'o'}, nil, 0, ErrTruncated},
		{"length non-minimal", []byte{0x31, 0x83, 0x00, 'f', 'o', 'o'}, nil, 0, ErrNonMinimal},
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

func TestParseDatagramFrameErrorsOnEOF(t *testing.T) {
	requireTruncatedPrefixes(t, []byte{0x31, 0x06, 'f', 'o', 'o', 'b', 'a', 'r'})
	data := []byte{0x30, 'f', 'o', 'o'}
	for i := 1; i <= len(data); i++ {
		requireParse(t, data[:i], &DatagramFrame{Data: data[1:i]}, i)
	}
}

func TestWriteDatagramFrame(t *testing.T) {
	requireAppend(t, &DatagramFrame{Data: []byte("foobar")}, []byte{0x30, 'f', 'o', 'o', 'b', 'a', 'r'})
	requireAppend(t, &DatagramFrame{Data: []byte("foobar"), LengthPresent: true}, []byte{0x31, 0x06, 'f', 'o', 'o', 'b', 'a', 'r'})
	requireAppend(t, &DatagramFrame{}, []byte{0x30})
}

func TestParseDatagramFrameAliases(t *testing.T) {
	data := []byte{0x31, 0x01, 'x', 0x01}
	f, n := parseOne(t, data)
	require.Equal(t, 3, n)
	require.Same(t, &data[2], &f.(*DatagramFrame).Data[0])
	require.Equal(t, 1, cap(f.(*DatagramFrame).Data))
}
