package ratelimiter

import (
	"encoding/binary"
	"math"
	"net/netip"
	"sync"
	"time"
)

// Defaults for the zero fields of Config.
const (
	DefaultPacketsPerSecond = 20
	DefaultBurst            = 5
	DefaultMaxEntries       = 1 << 16
)

const (
	// sweepInterval is the least time between two sweeps of the table.
	sweepInterval = time.Second
	// staleAfter is how long an entry must be idle, with a full bucket,
	// before a sweep removes it.
	staleAfter = time.Second
	// maxPacketsPerSecond keeps the cost of a packet at least 1 ns.
	maxPacketsPerSecond = int(time.Second)
)

// Config configures a Limiter. The zero value of each field selects its
// default; negative values do too.
type Config struct {
	// PacketsPerSecond is the steady rate allowed per address (or /64).
	// Default DefaultPacketsPerSecond; values above 10^9 are clamped.
	PacketsPerSecond int
	// Burst is how many packets an address may send at once after being
	// idle. Default DefaultBurst.
	Burst int
	// MaxEntries bounds the number of addresses tracked at once.
	// Default DefaultMaxEntries.
	MaxEntries int
	// Now returns the current time. Default time.Now; tests inject a clock.
	// It must be safe for concurrent use and should not run backwards; if it
	// does, the bucket simply does not refill meanwhile.
	Now func() time.Time
}

// key is the part of a source address that is limited: an IPv4 address or
// the /64 prefix of an IPv6 address.
type key struct {
	bits uint64 // the IPv4 address, or the first 64 bits of the IPv6 address
	v6   bool
}

// entry is one address's bucket. Times are nanoseconds since Limiter.epoch,
// so that an injected clock and the monotonic clock both work and the map
// holds no pointers for the garbage collector to scan.
type entry struct {
	last   int64 // when tokens was last updated
	tokens int64 // in nanoseconds of refill; a packet costs Limiter.cost
}

// A Limiter is a table of token buckets, one per source address. Create one
// with New.
type Limiter struct {
	now        func() time.Time
	epoch      time.Time
	cost       int64 // tokens per packet: 1 s / PacketsPerSecond, in ns
	maxTokens  int64 // cost × Burst
	maxEntries int

	mu        sync.Mutex
	table     map[key]entry
	lastSweep int64 // since epoch
}

// New returns a Limiter configured by cfg, with defaults for its zero fields.
func New(cfg Config) *Limiter {
	if cfg.PacketsPerSecond <= 0 {
		cfg.PacketsPerSecond = DefaultPacketsPerSecond
	}
	cfg.PacketsPerSecond = min(cfg.PacketsPerSecond, maxPacketsPerSecond)
	if cfg.Burst <= 0 {
		cfg.Burst = DefaultBurst
	}
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = DefaultMaxEntries
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cost := int64(time.Second) / int64(cfg.PacketsPerSecond)
	burst := min(int64(cfg.Burst), math.MaxInt64/cost) // cost × burst must not overflow
	return &Limiter{
		now:        cfg.Now,
		epoch:      cfg.Now(),
		cost:       cost,
		maxTokens:  cost * burst,
		maxEntries: cfg.MaxEntries,
		table:      make(map[key]entry),
	}
}

// keyOf returns the key that addr is limited under, or false for the zero
// Addr.
func keyOf(addr netip.Addr) (key, bool) {
	addr = addr.Unmap()
	switch {
	case addr.Is4():
		b := addr.As4()
		return key{bits: uint64(binary.BigEndian.Uint32(b[:]))}, true
	case addr.Is6():
		b := addr.As16() // drops any zone
		return key{bits: binary.BigEndian.Uint64(b[:8]), v6: true}, true
	}
	return key{}, false
}

// Allow reports whether a packet from addr may proceed, and if so takes a
// token from addr's bucket. It refuses a packet when the bucket is empty,
// when the table is full and has no room for a new address, and for the
// zero netip.Addr.
func (l *Limiter) Allow(addr netip.Addr) bool {
	k, ok := keyOf(addr)
	if !ok {
		return false
	}
	now := int64(l.now().Sub(l.epoch))

	l.mu.Lock()
	defer l.mu.Unlock()

	if now-l.lastSweep >= int64(sweepInterval) {
		l.sweepLocked(now)
	}
	e, ok := l.table[k]
	if !ok {
		if len(l.table) >= l.maxEntries {
			return false
		}
		e = entry{last: now, tokens: l.maxTokens}
	} else if elapsed := now - e.last; elapsed > 0 {
		e.last = now
		e.tokens = l.refill(e.tokens, elapsed)
	}
	allowed := e.tokens >= l.cost
	if allowed {
		e.tokens -= l.cost
	}
	l.table[k] = e
	return allowed
}

// refill returns tokens after elapsed nanoseconds, capped at maxTokens.
func (l *Limiter) refill(tokens, elapsed int64) int64 {
	if elapsed >= l.maxTokens-tokens {
		return l.maxTokens
	}
	return tokens + elapsed
}

// sweepLocked removes the entries that have been idle for more than
// staleAfter and whose bucket is full by now. Such an entry is
// indistinguishable from a new one, so removing it changes no answer.
func (l *Limiter) sweepLocked(now int64) {
	l.lastSweep = now
	for k, e := range l.table {
		idle := now - e.last
		if idle > int64(staleAfter) && l.refill(e.tokens, idle) == l.maxTokens {
			delete(l.table, k)
		}
	}
}

// Len returns the number of addresses (IPv4 addresses and IPv6 /64s) in the
// table.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.table)
}
