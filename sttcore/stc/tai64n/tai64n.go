package tai64n

import (
	"bytes"
	"encoding/binary"
	"time"
)

// Size is the length of a Timestamp in bytes.
const Size = 12

const (
	// base is the TAI64 label of the Unix epoch: 2^62 plus the 10 seconds
	// by which TAI was ahead of UTC in 1970.
	base = uint64(0x400000000000000a)
	// whitenerMask is the nanosecond bits Stamp clears: 2^24 ns granularity.
	whitenerMask = uint32(1<<24 - 1)

	secondsOffset = 0 // 8 bytes: the TAI64 label
	nanosOffset   = 8 // 4 bytes: nanoseconds within the second
)

// A Timestamp is a TAI64N timestamp as sent on the wire.
type Timestamp [Size]byte

// Stamp returns the timestamp of t, with its nanoseconds rounded down to a
// multiple of 2^24.
func Stamp(t time.Time) Timestamp {
	var ts Timestamp
	binary.BigEndian.PutUint64(ts[secondsOffset:], base+uint64(t.Unix()))
	binary.BigEndian.PutUint32(ts[nanosOffset:], uint32(t.Nanosecond())&^whitenerMask)
	return ts
}

// Now returns Stamp(time.Now()). It is a convenience for callers at the
// edge; code that can be handed the time should use Stamp.
func Now() Timestamp {
	return Stamp(time.Now())
}

// After reports whether t is later than u. Since the fields are big-endian,
// that is whether t's bytes sort after u's. The comparison is not constant
// time: it is made on timestamps that have already been decrypted and
// authenticated, and their order is no secret.
func (t Timestamp) After(u Timestamp) bool {
	return bytes.Compare(t[:], u[:]) > 0
}

// Time returns the time t stands for, in UTC. Time does not validate t: a
// label of 2^63 or more (reserved by TAI64) or a nanosecond field of 10^9 or
// more gives some time, not an error, and Stamp(t.Time()) equals t only for a
// timestamp that Stamp could have made.
func (t Timestamp) Time() time.Time {
	secs := int64(binary.BigEndian.Uint64(t[secondsOffset:]) - base)
	nanos := int64(binary.BigEndian.Uint32(t[nanosOffset:]))
	return time.Unix(secs, nanos).UTC()
}

// String returns t.Time() in RFC 3339 form with nanoseconds.
func (t Timestamp) String() string {
	return t.Time().Format(time.RFC3339Nano)
}
