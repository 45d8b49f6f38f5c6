package reassembly

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func drain(s *Sorter) []byte {
	var out []byte
	for d := s.Pop(); d != nil; d = s.Pop() {
		out = append(out, d...)
	}
	return out
}

func TestSorter(t *testing.T) {
	tests := []struct {
		name string
		push []struct {
			off  uint64
			data string
			fin  bool
		}
		want string
		done bool
	}{
		{"in order", []struct {
			off  uint64
			data string
			fin  bool
		}{{0, "abc", false}, {3, "def", true}}, "abcdef", true},
		{"reversed", []struct {
			off  uint64
			data string
			fin  bool
		}{{3, "def", true}, {0, "abc", false}}, "abcdef", true},
		{"overlaps", []struct {
			off  uint64
			data string
			fin  bool
		}{{2, "cdef", false}, {0, "abcd", false}, {1, "bcdefg", false}}, "abcdefg", false},
		{"duplicate", []struct {
			off  uint64
			data string
			fin  bool
		}{{0, "ab", false}, {0, "ab", false}, {2, "c", true}, {2, "c", true}}, "abc", true},
		{"gap", []struct {
			off  uint64
			data string
			fin  bool
		}{{0, "ab", false}, {4, "ef", false}}, "ab", false},
		{"inside existing", []struct {
			off  uint64
			data string
			fin  bool
		}{{4, "efgh", false}, {5, "fg", false}, {0, "abcd", false}}, "abcdefgh", false},
		{"spanning two", []struct {
			off  uint64
			data string
			fin  bool
		}{{1, "b", false}, {4, "e", false}, {0, "abcdef", true}}, "abcdef", true},
		{"empty fin", []struct {
			off  uint64
			data string
			fin  bool
		}{{0, "abc", false}, {3, "", true}}, "abc", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Sorter
			for _, p := range tt.push {
				require.NoError(t, s.Push(p.off, []byte(p.data), p.fin))
			}
			require.Equal(t, tt.want, string(drain(&s)))
			require.Equal(t, tt.done, s.Done())
		})
	}
}

func TestSorterFinalSize(t *testing.T) {
	var s Sorter
	require.NoError(t, s.Push(0, []byte("abc"), true))
	require.ErrorIs(t, s.Push(3, []byte("d"), false), ErrFinalSize, "beyond the end")
	require.ErrorIs(t, s.Push(0, []byte("ab"), true), ErrFinalSize, "another end")
	require.NoError(t, s.Push(0, []byte("abc"), true), "the same end again")

	var u Sorter
	require.NoError(t, u.Push(5, []byte("xyz"), false))
	require.ErrorIs(t, u.Push(0, []byte("abc"), true), ErrFinalSize, "an end below data already received")
	require.ErrorIs(t, u.Push(^uint64(0)-1, []byte("abc"), false), ErrFinalSize, "offset overflow")
}

func TestSorterDoesNotAliasInput(t *testing.T) {
	var s Sorter
	b := []byte("abc")
	require.NoError(t, s.Push(0, b, false))
	b[0] = 'X'
	require.Equal(t, "abc", string(s.Pop()))
}

// Differential test against the obvious model: a map from offset to byte.
func TestSorterRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		size := 1 + rng.IntN(5000)
		want := make([]byte, size)
		for i := range want {
			want[i] = byte(rng.Uint32())
		}
		var s Sorter
		var got []byte
		for len(got) < size || !s.Done() {
			off := rng.IntN(size)
			n := 1 + rng.IntN(300)
			end := min(off+n, size)
			require.NoError(t, s.Push(uint64(off), want[off:end], end == size), "round %d", round)
			got = append(got, drain(&s)...)
			require.LessOrEqual(t, s.Buffered(), size-len(got))
			if rng.IntN(50) == 0 && len(got) < size {
				// the whole rest arrives, to finish in bounded time
				require.NoError(t, s.Push(uint64(len(got)), want[len(got):], true))
			}
		}
		require.True(t, bytes.Equal(want, got), "round %d", round)
		require.Zero(t, s.Buffered())
	}
}

func FuzzSorter(f *testing.F) {
	f.Add([]byte{0, 3, 1, 5, 2, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		const size = 64
		var want [size]byte
		for i := range want {
			want[i] = byte(i * 7)
		}
		var s Sorter
		var got []byte
		for i := 0; i+2 < len(ops); i += 3 {
			off := int(ops[i]) % size
			end := min(off+int(ops[i+1])%17, size)
			fin := ops[i+2]&1 == 1 && end == size
			if err := s.Push(uint64(off), want[off:end], fin); err != nil {
				t.Fatalf("consistent pushes must not fail: %v", err)
			}
			got = append(got, drain(&s)...)
		}
		require.True(t, bytes.Equal(want[:len(got)], got), "bytes out of order or changed")
	})
}

func BenchmarkSorterInOrder(b *testing.B) {
	data := make([]byte, 1400)
	var s Sorter
	var off uint64
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		_ = s.Push(off, data, false)
		s.Pop()
		off += uint64(len(data))
	}
}
