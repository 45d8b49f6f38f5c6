package segment

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// fuzzSeeds are valid streams of every shape, for the corpus.
func fuzzSeeds(t testing.TB) [][]byte {
	return [][]byte{
		encode(t, Header{Name: "empty"}, nil, 0, Options{}),
		encode(t, Header{Name: "one", Size: 1}, []byte{7}, 0, Options{}),
		encode(t, Header{Name: "three segments", Size: 10, Type: "text/plain"}, []byte("0123456789"), 0, Options{ChunkSize: 4}),
		encode(t, Header{Name: "live", Size: UnknownSize}, []byte("live bytes"), 3, Options{ChunkSize: 5}),
		rawStream(t, Header{Name: "short", Size: 5, Chunk: 8}, nil, []byte("abc")),
	}
}

// FuzzDecoder decodes arbitrary bytes. It must never panic; every failure
// is a *FormatError inside the input. A failure for the sum alone is then
// repaired with the right sum, so that the fuzzer also explores what a valid
// sum lets through. Whatever decodes must agree with its header, leave the
// bytes after its end marker unread, and round-trip through the Encoder.
func FuzzDecoder(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, payload, used, err := decodeBytes(b)
		var fe *FormatError
		if errors.As(err, &fe) && errors.Is(err, ErrIntegrity) {
			// Repair the sum, which covers b[:fe.Offset].
			require.LessOrEqual(t, fe.Offset+SumSize, int64(len(b)))
			b = bytes.Clone(b)
			copy(b[fe.Offset:], rawSum(t, nil, b[:fe.Offset]))
			h, payload, used, err = decodeBytes(b)
			if err != nil {
				requireFormatError(t, err, ErrSizeMismatch)
				return
			}
		}
		if err != nil {
			require.ErrorAs(t, err, &fe)
			require.GreaterOrEqual(t, fe.Offset, int64(0))
			require.LessOrEqual(t, fe.Offset, int64(len(b)))
			return
		}
		if !h.Live() {
			require.Equal(t, h.Size, int64(len(payload)))
		}
		// The Decoder stopped at the end of the end marker.
		h1, payload1, used1, err := decodeBytes(b[:used])
		require.NoError(t, err)
		require.Equal(t, h, h1)
		require.Equal(t, payload, payload1)
		require.Equal(t, used, used1)
		require.GreaterOrEqual(t, h.Chunk, 1)
		require.LessOrEqual(t, h.Chunk, MaxChunkSize)

		again := encode(t, h, payload, 0, Options{ChunkSize: h.Chunk})
		h2, payload2, used2, err := decodeBytes(again)
		require.NoError(t, err)
		require.Equal(t, h, h2)
		require.Equal(t, payload, payload2)
		require.Equal(t, len(again), used2)
	})
}

// decodeBytes decodes b and returns how many bytes the Decoder consumed.
func decodeBytes(b []byte) (Header, []byte, int, error) {
	r := bytes.NewReader(b)
	h, payload, err := decode(r, Options{})
	return h, payload, len(b) - r.Len(), err
}
