package congestion

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMaxFilterTable(t *testing.T) {
	type step struct {
		v    Bandwidth
		t    uint64
		want Bandwidth
	}
	const win = 10
	tests := []struct {
		name  string
		steps []step
	}{
		{"a new maximum at once", []step{{5, 0, 5}, {3, 1, 5}, {9, 2, 9}, {1, 3, 9}}},
		{"the maximum expires after the window", []step{{9, 0, 9}, {4, 3, 9}, {4, 6, 9}, {4, 10, 9}, {4, 11, 4}}},
		{"the second best takes over", []step{{9, 0, 9}, {7, 3, 9}, {5, 6, 9}, {2, 11, 7}, {2, 14, 5}, {2, 17, 2}}},
		{"everything out of the window", []step{{9, 0, 9}, {7, 1, 9}, {1, 30, 1}}},
		{"equal values refresh", []step{{6, 0, 6}, {6, 8, 6}, {1, 15, 6}, {1, 19, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f maxFilter
			require.Zero(t, f.get())
			for i, s := range tt.steps {
				require.Equal(t, s.want, f.update(s.v, s.t, win), "step %d", i)
				require.Equal(t, s.want, f.get())
			}
		})
	}
}

// TestMaxFilterBounds compares the filter with the exact windowed maximum
// over random samples: it may underestimate (it keeps three samples, not
// all), but it always reports a sample of the window, at least the latest.
func TestMaxFilterBounds(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 1))
		win := uint64(1 + rng.IntN(12))
		var f maxFilter
		type sample struct {
			v Bandwidth
			t uint64
		}
		var all []sample
		now := uint64(0)
		exact := 0
		for i := range 2000 {
			now += uint64(rng.IntN(3))
			v := Bandwidth(rng.IntN(1000))
			if rng.IntN(10) == 0 {
				v += 1000 // an occasional peak
			}
			all = append(all, sample{v, now})
			got := f.update(v, now, win)

			var trueMax Bandwidth
			inWindow := false
			for _, s := range all {
				if now-s.t <= win {
					trueMax = max(trueMax, s.v)
					inWindow = inWindow || s.v == got
				}
			}
			require.GreaterOrEqual(t, got, v, "seed %d step %d", seed, i)
			require.LessOrEqual(t, got, trueMax, "seed %d step %d", seed, i)
			require.True(t, inWindow, "seed %d step %d: %d is no sample of the window", seed, i, got)
			if got == trueMax {
				exact++
			}
		}
		require.Greater(t, exact, 1500, "seed %d: the estimate is mostly exact", seed)
	}
}
