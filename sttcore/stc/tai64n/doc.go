// Package tai64n builds and compares the 12-byte TAI64N timestamps that an
// STT HELLO carries so that a responder can refuse a replayed HELLO: it keeps
// the greatest timestamp each peer has sent and accepts only a later one.
//
// A Timestamp is an 8-byte big-endian TAI64 label (2^62 + 10 + the Unix
// seconds, as in WireGuard and djb's libtai; leap seconds are not counted,
// which does not matter because only the order of timestamps is used)
// followed by 4 big-endian bytes of nanoseconds. Stamp rounds the nanoseconds
// down to a multiple of 2^24 ns (about 16.8 ms), as wireguard-go does, so that
// a timestamp reveals nothing finer about the sender's clock. Two HELLOs from
// one initiator less than that apart may therefore carry equal timestamps, and
// the second is refused.
//
// The package reads the clock only in Now; everything else takes a time.Time.
// Storing the greatest timestamp per peer, and deciding what to do with a
// stale one, is left to the handshake.
//
// Timestamp is a value type; its methods and the functions here are safe for
// concurrent use.
package tai64n
