package segment

import (
	"bytes"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/crypto/blake2s"

	"github.com/seigr/stt-tun/sttcore/varint"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// randomBytes returns n bytes from a seeded generator.
func randomBytes(n int, seed byte) []byte {
	b := make([]byte, n)
	_, _ = rand.NewChaCha8([32]byte{seed}).Read(b)
	return b
}

// encode returns the segment stream of payload, written in pieces of at
// most step bytes (all at once if step is zero).
func encode(t testing.TB, h Header, payload []byte, step int, opts Options) []byte {
	t.Helper()
	var out bytes.Buffer
	enc, err := NewEncoder(&out, h, opts)
	require.NoError(t, err)
	if step == 0 {
		step = max(len(payload), 1)
	}
	for p := payload; len(p) > 0; {
		n := min(step, len(p))
		m, err := enc.Write(p[:n])
		require.NoError(t, err)
		require.Equal(t, n, m)
		p = p[n:]
	}
	require.NoError(t, enc.Close())
	return out.Bytes()
}

// decode reads a whole segment stream from r.
func decode(r io.Reader, opts Options) (Header, []byte, error) {
	d, err := NewDecoder(r, opts)
	if err != nil {
		return Header{}, nil, err
	}
	var out bytes.Buffer
	_, err = io.Copy(&out, d)
	return d.Header(), out.Bytes(), err
}

// rawStream is the slow, obvious encoder: it frames the header and the given
// data segments as the package documentation says and appends the end
// marker with a correct sum, whatever the header declares. Segments may be
// empty (an early end marker) or larger than the chunk.
func rawStream(t testing.TB, h Header, key []byte, segments ...[]byte) []byte {
	t.Helper()
	b, err := appendHeader(nil, h)
	require.NoError(t, err)
	for _, s := range segments {
		b = varint.Append(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = append(b, 0)
	return append(b, rawSum(t, key, b)...)
}

// rawSum is the end marker's sum over stream, computed independently.
func rawSum(t testing.TB, key, stream []byte) []byte {
	t.Helper()
	h, err := blake2s.New256(key)
	require.NoError(t, err)
	h.Write([]byte("STT segment v1\n"))
	h.Write(stream)
	return h.Sum(nil)
}

// requireFormatError asserts that err is a *FormatError wrapping target,
// and returns it.
func requireFormatError(t testing.TB, err, target error) *FormatError {
	t.Helper()
	var fe *FormatError
	require.ErrorAs(t, err, &fe)
	require.ErrorIs(t, err, target)
	return fe
}

func sha(b []byte) [32]byte { return sha256.Sum256(b) }
