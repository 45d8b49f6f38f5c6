package reassembly

import (
	"errors"
	"slices"
)

// ErrFinalSize is returned for data beyond the end of the stream, or for a
// second end that disagrees with the first (RFC 9000 FINAL_SIZE_ERROR).
var ErrFinalSize = errors.New("reassembly: data beyond the stream's final size")

type segment struct {
	off  uint64
	data []byte
}

func (s segment) end() uint64 { return s.off + uint64(len(s.data)) }

// Sorter reassembles one stream.
type Sorter struct {
	readPos  uint64    // every byte below it was given out
	segs     []segment // sorted, non-overlapping, all ≥ readPos
	final    uint64
	hasFinal bool
	buffered int
}

// Push adds data found at offset off; fin says it ends the stream. Bytes
// already held or already read are ignored; new bytes are copied.
func (s *Sorter) Push(off uint64, data []byte, fin bool) error {
	end := off + uint64(len(data))
	if end < off {
		return ErrFinalSize
	}
	if fin {
		if s.hasFinal && s.final != end {
			return ErrFinalSize
		}
		if !s.hasFinal && len(s.segs) > 0 && s.segs[len(s.segs)-1].end() > end {
			return ErrFinalSize
		}
		if end < s.readPos {
			return ErrFinalSize
		}
		s.final, s.hasFinal = end, true
	} else if s.hasFinal && end > s.final {
		return ErrFinalSize
	}
	// Drop what was read already.
	if off < s.readPos {
		if end <= s.readPos {
			return nil
		}
		data = data[s.readPos-off:]
		off = s.readPos
	}
	// Insert the parts of [off, end) that no segment covers.
	i, _ := slices.BinarySearchFunc(s.segs, off, func(sg segment, o uint64) int {
		switch {
		case sg.end() <= o:
			return -1
		case sg.off > o:
			return 1
		}
		return 0
	})
	for len(data) > 0 {
		if i < len(s.segs) && s.segs[i].off <= off {
			// Covered from off on by segs[i]: skip past it.
			covered := s.segs[i].end() - off
			if covered >= uint64(len(data)) {
				return nil
			}
			data = data[covered:]
			off += covered
			i++
			continue
		}
		n := uint64(len(data))
		if i < len(s.segs) && s.segs[i].off < off+n {
			n = s.segs[i].off - off
		}
		s.segs = slices.Insert(s.segs, i, segment{off: off, data: append([]byte(nil), data[:n]...)})
		s.buffered += int(n)
		data = data[n:]
		off += n
		i++
	}
	return nil
}

// Pop returns the next bytes in order, or nil when the next byte has not
// arrived. The slice is the caller's.
func (s *Sorter) Pop() []byte {
	if len(s.segs) == 0 || s.segs[0].off != s.readPos {
		return nil
	}
	d := s.segs[0].data
	// Shift down rather than re-slice, so the slice keeps its capacity.
	n := copy(s.segs, s.segs[1:])
	s.segs[n] = segment{}
	s.segs = s.segs[:n]
	s.readPos += uint64(len(d))
	s.buffered -= len(d)
	return d
}

// ReadPos is the offset of the next byte Pop will return.
func (s *Sorter) ReadPos() uint64 { return s.readPos }

// Buffered is the number of bytes held, in order or not.
func (s *Sorter) Buffered() int { return s.buffered }

// Done reports whether every byte of the stream, up to its end, was popped.
func (s *Sorter) Done() bool { return s.hasFinal && s.readPos == s.final }

// FinalSize returns the stream's size once its end is known.
func (s *Sorter) FinalSize() (uint64, bool) { return s.final, s.hasFinal }
