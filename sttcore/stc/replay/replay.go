package replay

type block uint64

const (
	blockBitLog = 6                // 1<<6 == 64 bits per block
	blockBits   = 1 << blockBitLog // must be a power of 2
	ringBlocks  = 1 << 8           // 256 blocks; must be a power of 2
	blockMask   = ringBlocks - 1
	bitMask     = blockBits - 1
)

// WindowSize is how far behind the largest accepted counter a counter may be
// and still be accepted: counters last-WindowSize through last are tracked.
// One block of the ring is always partly ahead of the largest counter, so the
// window is one block short of the ring (RFC 6479 §2).
const WindowSize = (ringBlocks - 1) * blockBits

// A Filter rejects replayed packets by remembering which counters within a
// sliding window below the largest accepted counter it has already seen.
//
// The zero value is an empty Filter ready to use. A Filter is not safe for
// concurrent use.
type Filter struct {
	last uint64 // the largest accepted counter, or 0 when none was
	ring [ringBlocks]block
}

// Reset empties the filter, as for a new key.
//
// Only the block of counter 0 is cleared: after a Reset, moving the window
// forward clears every block it enters, and no counter below 0 can reach the
// others.
func (f *Filter) Reset() {
	f.last = 0
	f.ring[0] = 0
}

// ValidateCounter reports whether a packet with this counter is to be
// accepted, and if so marks the counter as seen. It rejects a counter that is
// not below limit, one accepted before, and one more than WindowSize below the
// largest counter accepted so far.
func (f *Filter) ValidateCounter(counter, limit uint64) bool {
	if counter >= limit {
		return false
	}
	indexBlock := counter >> blockBitLog
	if counter > f.last { // move the window forward
		current := f.last >> blockBitLog
		diff := indexBlock - current
		if diff >= ringBlocks {
			f.ring = [ringBlocks]block{} // the whole ring is behind the new window
		} else {
			for i := current + 1; i <= indexBlock; i++ {
				f.ring[i&blockMask] = 0
			}
		}
		f.last = counter
	} else if f.last-counter > WindowSize { // behind the window
		return false
	}
	indexBlock &= blockMask
	bit := block(1) << (counter & bitMask)
	old := f.ring[indexBlock]
	f.ring[indexBlock] = old | bit
	return old&bit == 0
}
