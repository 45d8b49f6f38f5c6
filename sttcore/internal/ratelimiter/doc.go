// Package ratelimiter limits, per source address, how many handshake packets
// an STT node processes: a token bucket of Burst packets refilled at
// PacketsPerSecond for each IPv4 address and each IPv6 /64 (an IPv4-mapped
// IPv6 address counts as the IPv4 address). It is wireguard-go's ratelimiter
// with a bound on memory and without its cleanup goroutine.
//
// Memory is bounded: the table holds at most MaxEntries addresses. Entries
// that are idle and whose bucket has refilled are removed by a sweep of the
// whole table that Allow runs at most once a second, so there is no
// background goroutine and nothing to close. When the table is full even
// after a sweep, a new address is refused until a later sweep frees room.
// That is acceptable because the handshake asks the limiter only about
// packets whose source address was proved by a cookie (a valid mac2), which
// an attacker can produce only for addresses where it receives packets; and a
// peer already in the table keeps its bucket. Filling the table needs 65536
// such addresses (or /64s), and it empties again as soon as they stop.
//
// The package decides only whether a packet may proceed. When to consult it
// (under load, after the cookie check) and what to do with a refused packet
// (drop it silently, count it) is the handshake's business.
//
// A Limiter is safe for concurrent use. One mutex guards the table: the
// critical section is a map lookup and a few additions, small next to the
// Diffie-Hellman computation that each allowed packet goes on to cost.
package ratelimiter
