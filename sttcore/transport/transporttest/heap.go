package transporttest

import (
	"net/netip"
	"time"
)

// packet is one packet in flight or queued. Packets are pooled per Network.
type packet struct {
	release time.Time // when it reaches the destination
	seq     uint64    // orders packets of the same release time by sending
	src     netip.AddrPort
	dst     netip.AddrPort
	data    []byte
}

// packetHeap is a min-heap of packets by (release, seq), written out rather
// than through container/heap so that pushing boxes nothing.
type packetHeap []*packet

func (h packetHeap) less(i, j int) bool {
	if !h[i].release.Equal(h[j].release) {
		return h[i].release.Before(h[j].release)
	}
	return h[i].seq < h[j].seq
}

func (h *packetHeap) push(p *packet) {
	*h = append(*h, p)
	q := *h
	for i := len(q) - 1; i > 0; {
		parent := (i - 1) / 2
		if !q.less(i, parent) {
			break
		}
		q[i], q[parent] = q[parent], q[i]
		i = parent
	}
}

func (h *packetHeap) pop() *packet {
	q := *h
	top := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q[last] = nil
	q = q[:last]
	for i := 0; ; {
		smallest, l, r := i, 2*i+1, 2*i+2
		if l < len(q) && q.less(l, smallest) {
			smallest = l
		}
		if r < len(q) && q.less(r, smallest) {
			smallest = r
		}
		if smallest == i {
			break
		}
		q[i], q[smallest] = q[smallest], q[i]
		i = smallest
	}
	*h = q
	return top
}
