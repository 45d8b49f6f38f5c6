package segment

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkEncodeDecode encodes 8 MiB into memory and decodes it again:
// the codec's throughput, framing and BLAKE2s on both sides.
func BenchmarkEncodeDecode(b *testing.B) {
	for _, chunk := range []int{16 << 10, DefaultChunkSize, MaxChunkSize} {
		b.Run(fmt.Sprintf("chunk=%dKiB", chunk>>10), func(b *testing.B) {
			payload := randomBytes(8<<20, 8)
			opts := Options{Key: []byte("benchmark key"), ChunkSize: chunk}
			var stream bytes.Buffer
			stream.Grow(len(payload) + 1<<10)
			buf := make([]byte, 64<<10)
			var r bytes.Reader
			b.SetBytes(int64(len(payload)))
			b.ReportAllocs()
			for b.Loop() {
				stream.Reset()
				enc, err := NewEncoder(&stream, Header{Name: "bench", Size: int64(len(payload))}, opts)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := enc.Write(payload); err != nil {
					b.Fatal(err)
				}
				if err := enc.Close(); err != nil {
					b.Fatal(err)
				}
				r.Reset(stream.Bytes())
				d, err := NewDecoder(&r, opts)
				if err != nil {
					b.Fatal(err)
				}
				for {
					_, err := d.Read(buf)
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

// BenchmarkNodes sends 8 MiB per operation on a new stream of a real
// session on loopback, with Send and Receive.
func BenchmarkNodes(b *testing.B) {
	sa, sb := nodePair(b)
	payload := randomBytes(8<<20, 9)
	opts := Options{Key: []byte("benchmark key")}
	ctx := context.Background()
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		st, err := sa.OpenStream(ctx)
		if err != nil {
			b.Fatal(err)
		}
		sent := make(chan error, 1)
		go func() {
			err := Send(ctx, st, "bench", bytes.NewReader(payload), int64(len(payload)), opts)
			if err == nil {
				err = st.Close()
			}
			sent <- err
		}()
		peer, err := sb.AcceptStream(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Receive(ctx, peer, io.Discard, opts); err != nil {
			b.Fatal(err)
		}
		if err := <-sent; err != nil {
			b.Fatal(err)
		}
		_ = peer.Close()
	}
}

// TestSteadyStateAllocs: once set up, Encoder.Write, Encoder.Flush and
// Decoder.Read allocate nothing, whatever the chunk.
func TestSteadyStateAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	enc, err := NewEncoder(io.Discard, Header{Name: "a", Size: UnknownSize}, Options{Key: []byte("k"), ChunkSize: 4096})
	require.NoError(t, err)
	p := make([]byte, 10000)
	require.Zero(t, testing.AllocsPerRun(100, func() {
		if _, err := enc.Write(p); err != nil {
			t.Fatal(err)
		}
		if err := enc.Flush(); err != nil {
			t.Fatal(err)
		}
	}))

	payload := randomBytes(1<<20, 10)
	stream := encode(t, Header{Name: "a", Size: int64(len(payload))}, payload, 0, Options{ChunkSize: 1000})
	for name, r := range map[string]io.Reader{
		"bytes.Reader": bytes.NewReader(stream),
		"plain":        struct{ io.Reader }{bytes.NewReader(stream)},
	} {
		d, err := NewDecoder(r, Options{})
		require.NoError(t, err)
		buf := make([]byte, 700)
		require.Zero(t, testing.AllocsPerRun(1000, func() {
			if _, err := d.Read(buf); err != nil {
				t.Fatal(err)
			}
		}), name)
	}
}
