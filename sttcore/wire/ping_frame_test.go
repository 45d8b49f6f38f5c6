package wire

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParsePingFrame(t *testing.T) {
	requireParse(t, []byte{0x01}, &PingFrame{}, 1)
	requireParse(t, []byte{0x01, 0x01}, &PingFrame{}, 1) // the second PING is the next frame
}

// A PING has no fields: it is complete as soon as its type byte is there,
// and an empty plaintext is no frame at all rather than a truncated one.
func TestParsePingFrameErrorsOnEOF(t *testing.T) {
	requireTruncatedPrefixes(t, []byte{0x01})
	n, f, err := NewFrameParser().ParseNext([]byte{0x01}[:0])
	require.NoError(t, err)
	require.Nil(t, f)
	require.Zero(t, n)
}

func TestWritePingFrame(t *testing.T) {
	requireAppend(t, &PingFrame{}, []byte{0x01})
}
