package transporttest

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestPacketHeap checks the heap against a sort, with many equal release
// times, under interleaved pushes and pops.
func TestPacketHeap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var h packetHeap
	var model []*packet
	var seq uint64
	byReleaseSeq := func(a, b *packet) int {
		return cmp.Or(a.release.Compare(b.release), cmp.Compare(a.seq, b.seq))
	}
	for range 5000 {
		if rng.IntN(3) > 0 || len(h) == 0 {
			p := &packet{release: base.Add(time.Duration(rng.IntN(20)) * time.Millisecond), seq: seq}
			seq++
			h.push(p)
			model = append(model, p)
			continue
		}
		slices.SortFunc(model, byReleaseSeq)
		require.Same(t, model[0], h.pop())
		model = model[1:]
		require.Len(t, h, len(model))
	}
	slices.SortFunc(model, byReleaseSeq)
	for _, want := range model {
		require.Same(t, want, h.pop())
	}
	require.Empty(t, h)
}
