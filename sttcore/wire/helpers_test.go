package wire

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// parseOne parses data, which holds one frame and maybe trailing bytes, with
// a new parser and returns the frame and the bytes consumed.
func parseOne(t *testing.T, data []byte) (Frame, int) {
	t.Helper()
	n, f, err := NewFrameParser().ParseNext(data)
	require.NoError(t, err)
	require.NotNil(t, f)
	return f, n
}

// requireParse asserts that data parses to want, consuming n bytes.
func requireParse(t *testing.T, data []byte, want Frame, n int) {
	t.Helper()
	f, got := parseOne(t, data)
	require.Equal(t, want, f)
	require.Equal(t, n, got, "bytes consumed")
}

// requireParseError asserts that data fails to parse with an error matching
// want, reported as a *FrameError for the type of data[0].
func requireParseError(t *testing.T, data []byte, want error) {
	t.Helper()
	n, f, err := NewFrameParser().ParseNext(data)
	require.ErrorIs(t, err, want)
	require.Nil(t, f)
	require.Zero(t, n)
	var fe *FrameError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, FrameType(data[0]), fe.Type)
}

// requireTruncatedPrefixes asserts that data parses as a whole and that
// every shorter prefix that still holds the type byte is ErrTruncated.
func requireTruncatedPrefixes(t *testing.T, data []byte) {
	t.Helper()
	p := NewFrameParser()
	n, _, err := p.ParseNext(data)
	require.NoError(t, err)
	require.Equal(t, len(data), n)
	for i := 1; i < len(data); i++ {
		requireParseError(t, data[:i], ErrTruncated)
	}
}

// requireAppend asserts that f appends exactly want after existing bytes
// and that Length agrees.
func requireAppend(t *testing.T, f Frame, want []byte) {
	t.Helper()
	prefix := []byte{0xee, 0xee}
	b, err := f.Append(prefix[:len(prefix):len(prefix)])
	require.NoError(t, err)
	require.Equal(t, append([]byte{0xee, 0xee}, want...), b)
	require.Equal(t, len(want), f.Length(), "Length")
}

// requireAppendError asserts that f refuses to be appended, with an error
// matching want, and leaves the buffer as it was.
func requireAppendError(t *testing.T, f Frame, want error) {
	t.Helper()
	b, err := f.Append([]byte{0xee})
	require.ErrorIs(t, err, want)
	require.Equal(t, []byte{0xee}, b)
	var fe *FrameError
	require.ErrorAs(t, err, &fe)
}

// cat concatenates byte slices, to write frames as type, fields and data.
func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// Hand-written varints used across the tests.
var (
	v62Max  = []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f} // 2^62-1
	v62     = []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40} // 2^62
	vMax    = []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}
	vOver   = []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02} // > 2^64-1
	vNonMin = []byte{0x80, 0x00}                                                 // 0, non-minimal
)
