package wire

import (
	"math"
	"sort"
	"time"

	"github.com/seigr/stt-tun/sttcore/varint"
)

// MaxAckDelay is the largest DelayTime an ACK frame carries: its Delay field,
// in microseconds, must convert to a time.Duration without overflow.
const MaxAckDelay = time.Duration(math.MaxInt64/int64(time.Microsecond)) * time.Microsecond

// An AckRange is a run of acknowledged packet numbers, both ends included.
type AckRange struct {
	Smallest PacketNumber
	Largest  PacketNumber
}

// Len is the count of packet numbers in the range.
func (r AckRange) Len() uint64 { return uint64(r.Largest-r.Smallest) + 1 }

// An AckFrame acknowledges DATA packets (§5.3).
type AckFrame struct {
	// AckRanges are ordered from the highest range to the lowest; ranges
	// neither overlap nor touch. There are 1 to MaxAckRanges of them.
	AckRanges []AckRange
	// DelayTime is the time between receiving the largest acknowledged
	// packet and sending the ACK. It is sent in whole microseconds.
	DelayTime time.Duration
}

var _ Frame = (*AckFrame)(nil)

// parseAckFrame parses the body of an ACK frame into f, reusing the storage
// of f.AckRanges.
func parseAckFrame(f *AckFrame, b []byte) (int, error) {
	const typ = FrameTypeAck
	f.Reset()
	largest, pos, err := parseVarint(b)
	if err != nil {
		return 0, frameError(typ, "Largest", err)
	}
	delay, n, err := parseVarint(b[pos:])
	if err != nil {
		return 0, frameError(typ, "Delay", err)
	}
	pos += n
	if delay > uint64(MaxAckDelay/time.Microsecond) {
		return 0, frameError(typ, "Delay overflows a time.Duration", ErrInvalidFrame)
	}
	count, n, err := parseVarint(b[pos:])
	if err != nil {
		return 0, frameError(typ, "Range Count", err)
	}
	pos += n
	if count > MaxAckRanges-1 {
		return 0, frameError(typ, "more than 256 ranges", ErrInvalidFrame)
	}
	first, n, err := parseVarint(b[pos:])
	if err != nil {
		return 0, frameError(typ, "First Range", err)
	}
	pos += n
	if first > largest {
		return 0, frameError(typ, "first range below zero", ErrInvalidFrame)
	}
	smallest := largest - first
	f.AckRanges = append(f.AckRanges, AckRange{Smallest: PacketNumber(smallest), Largest: PacketNumber(largest)})

	for range count {
		gap, n, err := parseVarint(b[pos:])
		if err != nil {
			return 0, frameError(typ, "Gap", err)
		}
		pos += n
		// The next range's largest is smallest - gap - 2.
		if gap > smallest || smallest-gap < 2 {
			return 0, frameError(typ, "range below zero", ErrInvalidFrame)
		}
		largest = smallest - gap - 2
		length, n, err := parseVarint(b[pos:])
		if err != nil {
			return 0, frameError(typ, "Length", err)
		}
		pos += n
		if length > largest {
			return 0, frameError(typ, "range below zero", ErrInvalidFrame)
		}
		smallest = largest - length
		f.AckRanges = append(f.AckRanges, AckRange{Smallest: PacketNumber(smallest), Largest: PacketNumber(largest)})
	}
	f.DelayTime = time.Duration(delay) * time.Microsecond
	return pos, nil
}

// validate returns why f cannot be written, or nil.
func (f *AckFrame) validate() error {
	const typ = FrameTypeAck
	switch {
	case len(f.AckRanges) == 0:
		return frameError(typ, "no ranges", ErrInvalidFrame)
	case len(f.AckRanges) > MaxAckRanges:
		return frameError(typ, "more than 256 ranges", ErrInvalidFrame)
	case f.DelayTime < 0:
		return frameError(typ, "negative delay", ErrInvalidFrame)
	}
	for i, r := range f.AckRanges {
		if r.Smallest > r.Largest {
			return frameError(typ, "range with Smallest above Largest", ErrInvalidFrame)
		}
		// Each range lies below the previous one with at least one
		// unacknowledged packet number between them.
		if i > 0 && (f.AckRanges[i-1].Smallest < 2 || r.Largest > f.AckRanges[i-1].Smallest-2) {
			return frameError(typ, "ranges not descending and separated", ErrInvalidFrame)
		}
	}
	return nil
}

// encodeRange returns the Gap and Length fields of range i ≥ 1.
func (f *AckFrame) encodeRange(i int) (gap, length uint64) {
	r := f.AckRanges[i]
	return uint64(f.AckRanges[i-1].Smallest - r.Largest - 2), uint64(r.Largest - r.Smallest)
}

// Append appends the frame to b. It fails unless there are 1 to
// MaxAckRanges ranges, descending and separated by a gap, and DelayTime is
// not negative.
func (f *AckFrame) Append(b []byte) ([]byte, error) {
	if err := f.validate(); err != nil {
		return b, err
	}
	r0 := f.AckRanges[0]
	b = append(b, byte(FrameTypeAck))
	b = varint.Append(b, uint64(r0.Largest))
	b = varint.Append(b, uint64(f.DelayTime/time.Microsecond))
	b = varint.Append(b, uint64(len(f.AckRanges)-1))
	b = varint.Append(b, uint64(r0.Largest-r0.Smallest))
	for i := 1; i < len(f.AckRanges); i++ {
		gap, length := f.encodeRange(i)
		b = varint.Append(b, gap)
		b = varint.Append(b, length)
	}
	return b, nil
}

// Length is the number of bytes Append adds. It has no meaning for a frame
// Append refuses, but does not panic on one.
func (f *AckFrame) Length() int {
	n := 1 + varint.Len(uint64(f.DelayTime/time.Microsecond))
	if len(f.AckRanges) == 0 {
		return n + 3 // Largest, Range Count and First Range of zero
	}
	r0 := f.AckRanges[0]
	n += varint.Len(uint64(r0.Largest)) + varint.Len(uint64(len(f.AckRanges)-1)) + varint.Len(uint64(r0.Largest-r0.Smallest))
	for i := 1; i < len(f.AckRanges); i++ {
		gap, length := f.encodeRange(i)
		n += varint.Len(gap) + varint.Len(length)
	}
	return n
}

// LargestAcked is the largest acknowledged packet number, 0 without ranges.
func (f *AckFrame) LargestAcked() PacketNumber {
	if len(f.AckRanges) == 0 {
		return 0
	}
	return f.AckRanges[0].Largest
}

// LowestAcked is the smallest acknowledged packet number, 0 without ranges.
func (f *AckFrame) LowestAcked() PacketNumber {
	if len(f.AckRanges) == 0 {
		return 0
	}
	return f.AckRanges[len(f.AckRanges)-1].Smallest
}

// AcksPacket reports whether pn lies in one of the ranges.
func (f *AckFrame) AcksPacket(pn PacketNumber) bool {
	if len(f.AckRanges) == 0 || pn < f.LowestAcked() || pn > f.LargestAcked() {
		return false
	}
	// The first range, from the top, whose Smallest is at most pn.
	i := sort.Search(len(f.AckRanges), func(i int) bool {
		return pn >= f.AckRanges[i].Smallest
	})
	return pn <= f.AckRanges[i].Largest
}

// Reset empties f and keeps the storage of its ranges.
func (f *AckFrame) Reset() {
	f.AckRanges = f.AckRanges[:0]
	f.DelayTime = 0
}
