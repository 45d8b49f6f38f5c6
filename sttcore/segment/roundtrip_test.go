package segment

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"net"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/require"
)

var sizeTests = []struct {
	name string
	size int
}{
	{"empty", 0},
	{"one byte", 1},
	{"one chunk", DefaultChunkSize},
	{"chunk plus one", DefaultChunkSize + 1},
	{"10 MiB", 10 << 20},
}

// TestRoundTripPipe sends payloads over net.Pipe with Send and Receive, as a
// known size and as a live stream, and compares SHA-256.
func TestRoundTripPipe(t *testing.T) {
	key := bytes.Repeat([]byte{0x5a}, MaxKeySize)
	for _, tt := range sizeTests {
		for _, live := range []bool{false, true} {
			name := tt.name
			if live {
				name += "/live"
			}
			t.Run(name, func(t *testing.T) {
				payload := randomBytes(tt.size, 1)
				size := int64(tt.size)
				if live {
					size = UnknownSize
				}
				a, b := net.Pipe()
				defer a.Close()
				defer b.Close()
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				sent := make(chan error, 1)
				go func() {
					sent <- Send(ctx, a, "payload.bin", bytes.NewReader(payload), size, Options{Key: key})
				}()
				h := sha256.New()
				got, err := Receive(ctx, b, h, Options{Key: key})
				require.NoError(t, err)
				require.NoError(t, <-sent)
				require.Equal(t, sha(payload), [32]byte(h.Sum(nil)))
				require.Equal(t, Header{Name: "payload.bin", Size: size, Chunk: DefaultChunkSize}, got)
				require.Equal(t, live, got.Live())
			})
		}
	}
}

// TestRoundTripWrites encodes with Write in pieces of several sizes, and
// with ReadFrom, and decodes through readers that return little at a time.
// The bytes must equal those of the reference encoder (rawStream).
func TestRoundTripWrites(t *testing.T) {
	const chunk = 1000
	payload := randomBytes(3*chunk+17, 2)
	opts := Options{ChunkSize: chunk, Key: []byte("k")}
	h := Header{Name: "clip.mp4", Size: int64(len(payload)), Type: "video/mp4", Chunk: chunk}
	want := rawStream(t, h, opts.Key, payload[:chunk], payload[chunk:2*chunk], payload[2*chunk:3*chunk], payload[3*chunk:])

	for _, step := range []int{0, 1, 7, chunk - 1, chunk, chunk + 1, 2*chunk + 3} {
		require.Equal(t, want, encode(t, h, payload, step, opts), "step %d", step)
	}
	var out bytes.Buffer
	enc, err := NewEncoder(&out, h, opts)
	require.NoError(t, err)
	n, err := io.Copy(enc, iotest.HalfReader(bytes.NewReader(payload)))
	require.NoError(t, err)
	require.Equal(t, int64(len(payload)), n)
	require.Equal(t, int64(len(payload)), enc.Written())
	require.NoError(t, enc.Close())
	require.Equal(t, want, out.Bytes(), "ReadFrom")
	sum, ok := enc.Sum()
	require.True(t, ok)
	require.Equal(t, want[len(want)-SumSize:], sum[:])

	readers := map[string]func(io.Reader) io.Reader{
		"bytes.Reader":  func(r io.Reader) io.Reader { return r },
		"plain":         func(r io.Reader) io.Reader { return struct{ io.Reader }{r} },
		"one byte":      iotest.OneByteReader,
		"half":          iotest.HalfReader,
		"data with EOF": iotest.DataErrReader,
	}
	for name, wrap := range readers {
		t.Run(name, func(t *testing.T) {
			d, err := NewDecoder(wrap(bytes.NewReader(want)), opts)
			require.NoError(t, err)
			require.Equal(t, h, d.Header())
			_, ok := d.Sum()
			require.False(t, ok, "verified before the end")
			got, err := io.ReadAll(d)
			require.NoError(t, err)
			require.Equal(t, payload, got)
			require.Equal(t, int64(len(payload)), d.Received())
			sum, ok := d.Sum()
			require.True(t, ok)
			require.Equal(t, want[len(want)-SumSize:], sum[:])
			n, err := d.Read(make([]byte, 10))
			require.Equal(t, 0, n)
			require.Equal(t, io.EOF, err, "EOF stays")
		})
	}
}

// TestLiveFlush checks that Flush sends what is buffered at once, and that a
// live stream ends with Close.
func TestLiveFlush(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	enc, err := NewEncoder(a, Header{Name: "camera", Size: -5, Type: "video/h264"}, Options{})
	require.NoError(t, err)
	require.Equal(t, Header{Name: "camera", Size: UnknownSize, Type: "video/h264", Chunk: DefaultChunkSize}, enc.Header())

	frames := []string{"frame one", "frame two", "the last frame"}
	done := make(chan error, 1)
	go func() {
		for _, f := range frames {
			if _, err := enc.Write([]byte(f)); err != nil {
				done <- err
				return
			}
			if err := enc.Flush(); err != nil {
				done <- err
				return
			}
		}
		done <- enc.Close()
	}()
	d, err := NewDecoder(b, Options{})
	require.NoError(t, err)
	require.True(t, d.Header().Live())
	for _, f := range frames {
		// Each frame arrives whole on its own, before the next is written.
		buf := make([]byte, 100)
		n, err := d.Read(buf)
		require.NoError(t, err)
		require.Equal(t, f, string(buf[:n]))
	}
	n, err := d.Read(make([]byte, 100))
	require.Equal(t, 0, n)
	require.Equal(t, io.EOF, err)
	require.NoError(t, <-done)
	require.ErrorIs(t, enc.Flush(), ErrClosed)
}

// TestDecoderStopsAtEnd checks that the Decoder reads nothing past the end
// marker, so the stream can carry more after it.
func TestDecoderStopsAtEnd(t *testing.T) {
	stream := encode(t, Header{Name: "x", Size: 3}, []byte("abc"), 0, Options{})
	for name, r := range map[string]io.Reader{
		"bytes.Reader": bytes.NewReader(append(stream, "reply"...)),
		"plain":        io.MultiReader(bytes.NewReader(stream), strings.NewReader("reply")),
	} {
		t.Run(name, func(t *testing.T) {
			_, got, err := decode(r, Options{})
			require.NoError(t, err)
			require.Equal(t, "abc", string(got))
			rest, err := io.ReadAll(r)
			require.NoError(t, err)
			require.Equal(t, "reply", string(rest))
		})
	}
}

// TestHeaderExtensions checks that unknown header keys are accepted (and
// covered by the sum).
func TestHeaderExtensions(t *testing.T) {
	body := []byte("\x09" + // map of 6 entries
		"\x06" +
		"\x05chunk\x03\x04" +
		"\x05codec\x07\x04h264" +
		"\x04name\x07\x01v" +
		"\x04size\x03\x02" +
		"\x04type\x07\x00" +
		"\x07version\x03\x01")
	stream := append([]byte{byte(len(body))}, body...)
	stream = append(stream, 2, 'h', 'i', 0)
	stream = append(stream, rawSum(t, nil, stream)...)
	h, got, err := decode(bytes.NewReader(stream), Options{})
	require.NoError(t, err)
	require.Equal(t, Header{Name: "v", Size: 2, Chunk: 4}, h)
	require.Equal(t, "hi", string(got))
}

func TestEncoderMisuse(t *testing.T) {
	tests := []struct {
		name string
		h    Header
		opts Options
		want error
	}{
		{"negative chunk", Header{}, Options{ChunkSize: -1}, ErrChunkSize},
		{"chunk too large", Header{}, Options{ChunkSize: MaxChunkSize + 1}, ErrChunkSize},
		{"key too long", Header{}, Options{Key: make([]byte, MaxKeySize+1)}, ErrKeySize},
		{"name not UTF-8", Header{Name: "\xff"}, Options{}, ErrHeader},
		{"header too long", Header{Name: strings.Repeat("n", MaxHeaderSize)}, Options{}, ErrHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := NewEncoder(io.Discard, tt.h, tt.opts)
			require.ErrorIs(t, err, tt.want)
			require.Nil(t, enc)
		})
	}
	t.Run("decoder key too long", func(t *testing.T) {
		_, err := NewDecoder(bytes.NewReader(nil), Options{Key: make([]byte, MaxKeySize+1)})
		require.ErrorIs(t, err, ErrKeySize)
	})
	t.Run("write after close", func(t *testing.T) {
		enc, err := NewEncoder(io.Discard, Header{Size: UnknownSize}, Options{})
		require.NoError(t, err)
		require.NoError(t, enc.Close())
		require.NoError(t, enc.Close(), "Close is idempotent")
		_, err = enc.Write([]byte("x"))
		require.ErrorIs(t, err, ErrClosed)
		_, err = enc.ReadFrom(strings.NewReader("x"))
		require.ErrorIs(t, err, ErrClosed)
	})
	t.Run("writer error is sticky", func(t *testing.T) {
		failing := &failWriter{after: 1}
		enc, err := NewEncoder(failing, Header{Size: UnknownSize}, Options{ChunkSize: 4})
		require.NoError(t, err)
		_, err = enc.Write([]byte("12345678")) // the first chunk goes out
		require.NoError(t, err)
		_, err = enc.Write([]byte("9")) // the second does not
		require.ErrorIs(t, err, errWriteFailed)
		require.ErrorIs(t, enc.Close(), errWriteFailed)
		require.ErrorIs(t, enc.Flush(), errWriteFailed)
		_, ok := enc.Sum()
		require.False(t, ok)
		require.Equal(t, 1, failing.writes, "no end marker after the failure")
	})
}

var errWriteFailed = io.ErrClosedPipe

// failWriter accepts after writes, then fails.
type failWriter struct{ after, writes int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.writes == w.after {
		return 0, errWriteFailed
	}
	w.writes++
	return len(p), nil
}

// TestEncoderSizeMismatch checks that an Encoder never ends a payload of the
// wrong length with an end marker.
func TestEncoderSizeMismatch(t *testing.T) {
	tests := []struct {
		name  string
		size  int64
		write string
		took  int
	}{
		{"too long", 3, "abcd", 3},
		{"too long on empty", 0, "a", 0},
		{"too short", 5, "abcd", 4},
		{"nothing", 1, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			enc, err := NewEncoder(&out, Header{Name: "f", Size: tt.size}, Options{})
			require.NoError(t, err)
			n, werr := enc.Write([]byte(tt.write))
			require.Equal(t, tt.took, n)
			cerr := enc.Close()
			require.ErrorIs(t, cerr, ErrSizeMismatch)
			if int64(len(tt.write)) > tt.size {
				require.ErrorIs(t, werr, ErrSizeMismatch)
			}
			_, _, err = decode(bytes.NewReader(out.Bytes()), Options{})
			requireFormatError(t, err, io.ErrUnexpectedEOF)
		})
	}
	t.Run("Send source too long", func(t *testing.T) {
		err := Send(context.Background(), io.Discard, "f", strings.NewReader("abcd"), 3, Options{})
		require.ErrorIs(t, err, ErrSizeMismatch)
	})
	t.Run("Send source too short", func(t *testing.T) {
		err := Send(context.Background(), io.Discard, "f", strings.NewReader("ab"), 3, Options{})
		require.ErrorIs(t, err, ErrSizeMismatch)
	})
}
