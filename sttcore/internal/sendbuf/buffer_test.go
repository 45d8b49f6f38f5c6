package sendbuf

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBufferBasics(t *testing.T) {
	var b Buffer
	b.Write([]byte("hello world"))
	off, d, fin := b.Next(5, 1<<62)
	require.Equal(t, uint64(0), off)
	require.Equal(t, "hello", string(d))
	require.False(t, fin)
	off, d, _ = b.Next(100, 8) // flow control limit at 8
	require.Equal(t, uint64(5), off)
	require.Equal(t, " wo", string(d))
	_, d, _ = b.Next(100, 8)
	require.Empty(t, d, "nothing new past the limit")

	b.OnLost(0, 5, false)
	require.True(t, b.HasRetransmission())
	off, d, _ = b.Next(3, 8)
	require.Equal(t, uint64(0), off)
	require.Equal(t, "hel", string(d), "lost data first, in a new frame")
	b.OnAcked(0, 3, false)
	require.Equal(t, 8, b.Len(), "acknowledged prefix freed")
	off, d, _ = b.Next(10, 8)
	require.Equal(t, uint64(3), off)
	require.Equal(t, "lo", string(d))

	b.Close()
	off, d, fin = b.Next(100, 1<<62)
	require.Equal(t, uint64(8), off)
	require.Equal(t, "rld", string(d))
	require.True(t, fin)
	require.False(t, b.HasData())
	b.OnAcked(3, 8, true)
	require.True(t, b.Done())
	require.Zero(t, b.Len())
}

func TestBufferEmptyFin(t *testing.T) {
	var b Buffer
	b.Close()
	require.True(t, b.HasData())
	_, d, fin := b.Next(10, 1<<62)
	require.Empty(t, d)
	require.True(t, fin)
	b.OnLost(0, 0, true)
	require.True(t, b.HasData(), "a lost FIN is sent again")
	_, _, fin = b.Next(10, 1<<62)
	require.True(t, fin)
	b.OnAcked(0, 0, true)
	require.True(t, b.Done())
}

func TestLostAfterAckedIsNotResent(t *testing.T) {
	var b Buffer
	b.Write(make([]byte, 100))
	b.Next(100, 1<<62)
	b.OnAcked(20, 30, false) // [20,50) arrived
	b.OnLost(0, 100, false)  // the rest of that packet was lost
	var resent []span
	for b.HasRetransmission() {
		off, d, _ := b.Next(1000, 1<<62)
		resent = append(resent, span{off, off + uint64(len(d))})
	}
	require.Equal(t, []span{{0, 20}, {50, 100}}, resent)
}

// A random lossy, reordering exchange: every byte is finally acknowledged
// and the receiver sees exactly the data written.
func TestBufferRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for round := range 100 {
		var b Buffer
		want := make([]byte, 1+rng.IntN(20000))
		for i := range want {
			want[i] = byte(rng.Uint32())
		}
		written := 0
		got := make([]byte, len(want))
		have := make([]bool, len(want))
		var flying []inflight
		gotFin := false
		for steps := 0; !b.Done(); steps++ {
			require.Less(t, steps, 100000, "round %d does not finish", round)
			if written < len(want) && rng.IntN(3) == 0 {
				n := min(1+rng.IntN(3000), len(want)-written)
				b.Write(want[written : written+n])
				written += n
				if written == len(want) {
					b.Close()
				}
			}
			if b.HasData() && rng.IntN(2) == 0 {
				off, d, fin := b.Next(1+rng.IntN(1400), b.End())
				copy(got[off:], d)
				// the receiver only "has" it if the packet is delivered
				flying = append(flying, inflight{off, len(d), fin})
			}
			if len(flying) > 0 && rng.IntN(2) == 0 {
				i := rng.IntN(len(flying))
				f := flying[i]
				flying[i] = flying[len(flying)-1]
				flying = flying[:len(flying)-1]
				if rng.IntN(5) == 0 {
					b.OnLost(f.off, f.n, f.fin)
				} else {
					for k := f.off; k < f.off+uint64(f.n); k++ {
						have[k] = true
					}
					gotFin = gotFin || f.fin
					b.OnAcked(f.off, f.n, f.fin)
				}
			}
		}
		require.True(t, gotFin)
		for i := range have {
			require.True(t, have[i], "round %d: byte %d never arrived", round, i)
		}
		require.True(t, bytes.Equal(want, got), "round %d", round)
	}
}

type inflight struct {
	off uint64
	n   int
	fin bool
}

func BenchmarkBuffer(b *testing.B) {
	var buf Buffer
	chunk := make([]byte, 1400)
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	for b.Loop() {
		buf.Write(chunk)
		off, d, _ := buf.Next(1400, 1<<62)
		buf.OnAcked(off, len(d), false)
	}
}
