package sendbuf

import "slices"

type span struct{ start, end uint64 } // [start, end)

// Buffer is one stream's send side.
type Buffer struct {
	base  uint64 // offset of buf[head]; every byte below is acknowledged
	buf   []byte // buf[head:] holds the unacknowledged bytes
	head  int
	sent  uint64 // bytes below this were sent at least once
	acked []span // acknowledged ranges above base, sorted, disjoint, not touching
	lost  []span // ranges to send again, sorted, disjoint

	finSet, finSent, finAcked bool
}

// Write appends p to the stream. It is the caller's job to bound the
// buffered amount (Len).
func (b *Buffer) Write(p []byte) {
	if b.head > 0 && b.head >= len(b.buf)-b.head {
		// More than half of the array is acknowledged bytes: move the live
		// ones down instead of growing.
		n := copy(b.buf, b.buf[b.head:])
		b.buf = b.buf[:n]
		b.head = 0
	}
	b.buf = append(b.buf, p...)
}

func (b *Buffer) data() []byte { return b.buf[b.head:] }

// Close marks the end of the stream after the data written so far.
func (b *Buffer) Close() { b.finSet = true }

// End is the offset just past the last byte written.
func (b *Buffer) End() uint64 { return b.base + uint64(len(b.buf)-b.head) }

// Len is the number of bytes held: written and not yet acknowledged.
func (b *Buffer) Len() int { return len(b.buf) - b.head }

// SentOffset is the offset below which every byte was sent at least once:
// the flow-control position of the stream.
func (b *Buffer) SentOffset() uint64 { return b.sent }

// Unsent is the number of bytes written and never sent.
func (b *Buffer) Unsent() uint64 { return b.End() - b.sent }

// HasData reports whether Next would return something: lost data, new data,
// or a FIN not yet sent.
func (b *Buffer) HasData() bool {
	return len(b.lost) > 0 || b.sent < b.End() || (b.finSet && !b.finSent)
}

// HasRetransmission reports whether lost data waits to be sent again.
func (b *Buffer) HasRetransmission() bool { return len(b.lost) > 0 }

// Next returns up to max bytes to send at offset off, lost data first, and
// whether the frame ends the stream. limit bounds new data (flow control):
// no byte at or past it is handed out for the first time. The slice aliases
// the buffer until the next Write, OnAcked or OnLost.
func (b *Buffer) Next(max int, limit uint64) (off uint64, data []byte, fin bool) {
	if max <= 0 {
		return 0, nil, false
	}
	if len(b.lost) > 0 {
		l := &b.lost[0]
		n := min(uint64(max), l.end-l.start)
		off = l.start
		data = b.data()[off-b.base : off-b.base+n]
		l.start += n
		if l.start == l.end {
			b.lost = b.lost[:copy(b.lost, b.lost[1:])]
		}
		fin = b.finSet && off+n == b.End() && b.finSent && !b.finAcked
		return off, data, fin
	}
	end := min(b.End(), limit, b.sent+uint64(max))
	off = b.sent
	if end > off {
		data = b.data()[off-b.base : end-b.base]
		b.sent = end
	}
	if b.finSet && !b.finSent && b.sent == b.End() {
		b.finSent = true
		fin = true
	}
	return off, data, fin
}

// OnAcked records that [off, off+n) (and the FIN, if fin) arrived.
func (b *Buffer) OnAcked(off uint64, n int, fin bool) {
	if fin {
		b.finAcked = true
	}
	start, end := max(off, b.base), off+uint64(n)
	if end <= start {
		return
	}
	b.acked = addSpan(b.acked, span{start, end})
	b.lost = removeSpan(b.lost, span{start, end})
	// Free the acknowledged prefix.
	if len(b.acked) > 0 && b.acked[0].start == b.base {
		adv := b.acked[0].end - b.base
		b.head += int(adv)
		b.base = b.acked[0].end
		b.acked = b.acked[:copy(b.acked, b.acked[1:])] // keep the capacity
		if b.head == len(b.buf) {
			b.buf, b.head = b.buf[:0], 0
			if cap(b.buf) > 4<<20 {
				b.buf = nil // do not keep a large idle array
			}
		}
	}
}

// OnLost records that [off, off+n) (and the FIN, if fin) was lost: whatever
// part of it is not acknowledged is sent again.
func (b *Buffer) OnLost(off uint64, n int, fin bool) {
	if fin && !b.finAcked {
		b.finSent = false // send the FIN again, with the last data or alone
		if b.sent > b.End() {
			b.sent = b.End()
		}
	}
	start, end := max(off, b.base), off+uint64(n)
	if end <= start {
		return
	}
	missing := []span{{start, end}}
	for _, a := range b.acked {
		missing = removeFrom(missing, a)
	}
	for _, m := range missing {
		b.lost = addSpan(b.lost, m)
	}
}

// Done reports whether the whole stream, FIN included, was acknowledged.
func (b *Buffer) Done() bool { return b.finSet && b.finAcked && b.Len() == 0 }

// addSpan merges s into the sorted, disjoint list.
func addSpan(list []span, s span) []span {
	i := 0
	for i < len(list) && list[i].end < s.start {
		i++
	}
	j := i
	for j < len(list) && list[j].start <= s.end {
		s.start = min(s.start, list[j].start)
		s.end = max(s.end, list[j].end)
		j++
	}
	return slices.Replace(list, i, j, s)
}

// removeSpan cuts s out of the sorted, disjoint list.
func removeSpan(list []span, s span) []span {
	var out []span
	changed := false
	for _, l := range list {
		if l.end <= s.start || l.start >= s.end {
			out = append(out, l)
			continue
		}
		changed = true
		if l.start < s.start {
			out = append(out, span{l.start, s.start})
		}
		if l.end > s.end {
			out = append(out, span{s.end, l.end})
		}
	}
	if !changed {
		return list
	}
	return out
}

func removeFrom(list []span, s span) []span { return removeSpan(list, s) }
