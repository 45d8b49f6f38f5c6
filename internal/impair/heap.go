package impair

import "time"

// packet is one datagram waiting in a delay line.
type packet struct {
	release time.Duration // when it is due, since the relay's epoch
	seq     uint64        // arrival order: keeps equal release times FIFO
	buf     *[]byte       // the payload, exactly its length; from the line's pool
	to      *client       // where it goes (its sender knows how)
}

// packetHeap is a binary min-heap of packets ordered by (release, seq). It
// stores packets by value, so pushing and popping never allocate once the
// slice has grown (container/heap would box every packet in an interface).
type packetHeap []packet

func (h packetHeap) less(i, j int) bool {
	if h[i].release != h[j].release {
		return h[i].release < h[j].release
	}
	return h[i].seq < h[j].seq
}

func (h *packetHeap) push(p packet) {
	*h = append(*h, p)
	q := *h
	i := len(q) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if !q.less(i, parent) {
			break
		}
		q[i], q[parent] = q[parent], q[i]
		i = parent
	}
}

// pop removes and returns the earliest packet; the heap must not be empty.
func (h *packetHeap) pop() packet {
	q := *h
	n := len(q) - 1
	q[0], q[n] = q[n], q[0]
	p := q[n]
	q[n] = packet{} // drop the references for the GC
	q = q[:n]
	*h = q
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && q.less(r, l) {
			m = r
		}
		if !q.less(m, i) {
			break
		}
		q[i], q[m] = q[m], q[i]
		i = m
	}
	return p
}
