package impair

import (
	"errors"
	"fmt"
	"math"
	"time"
)

const (
	// DefaultQueueLimit is the number of datagrams a direction's delay line
	// holds when Config.QueueLimit is zero.
	DefaultQueueLimit = 10000
	// DefaultReorderDelay is the extra delay of a datagram picked for
	// reordering when Config.ReorderDelay is zero.
	DefaultReorderDelay = 10 * time.Millisecond
	// MaxDelay bounds Delay, Jitter and ReorderDelay.
	MaxDelay = time.Hour
	// MaxQueueBytes bounds the payload bytes a direction's delay line
	// holds, whatever QueueLimit says.
	MaxQueueBytes = 64 << 20
	// rateBurstTime is how much traffic at RateBps the token bucket lets
	// through at once; minRateBurst is its floor in bytes.
	rateBurstTime = 10 * time.Millisecond
	minRateBurst  = 1500
)

// Config says how one direction of a [Relay] impairs traffic. The zero value
// forwards every datagram unchanged and at once.
type Config struct {
	// Loss is the probability, 0..1, that a datagram is dropped.
	Loss float64
	// Delay is added to every datagram's one-way trip.
	Delay time.Duration
	// Jitter adds a uniformly random extra delay in [0, Jitter) per
	// datagram. Jitter larger than the spacing of datagrams reorders them.
	Jitter time.Duration
	// Reorder is the probability, 0..1, that a datagram is held back by
	// ReorderDelay more, so that later ones overtake it.
	Reorder float64
	// ReorderDelay is the extra delay of reordered datagrams. If zero,
	// DefaultReorderDelay (10 ms).
	ReorderDelay time.Duration
	// Duplicate is the probability, 0..1, that a datagram is sent twice
	// (the copy has its own jitter and reordering).
	Duplicate float64
	// Corrupt is the probability, 0..1, that one random byte of a
	// datagram's payload is changed. Both copies of a duplicated datagram
	// carry the same change.
	Corrupt float64
	// RateBps caps the direction's throughput in bytes per second with a
	// token bucket (burst: 10 ms of traffic, at least 1500 bytes); the
	// backlog waits in the delay line and is bounded by QueueLimit. Zero
	// means no cap.
	RateBps int64
	// QueueLimit is the most datagrams the delay line holds; beyond it
	// datagrams are dropped and counted in DirectionStats.DroppedQueue.
	// If zero, DefaultQueueLimit (10000).
	QueueLimit int
	// Seed seeds the direction's PCG random stream (math/rand/v2). Equal
	// seeds and equal traffic give equal decisions.
	Seed uint64
}

// ErrInvalidConfig is what every *ConfigError is (errors.Is).
var ErrInvalidConfig = errors.New("impair: invalid config")

// ConfigError says which Config field is out of range. It matches
// ErrInvalidConfig with errors.Is.
type ConfigError struct {
	Field  string // the Config field, e.g. "Loss"
	Reason string // what is wrong with its value
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("impair: invalid config: %s %s", e.Field, e.Reason)
}

// Is reports whether target is ErrInvalidConfig.
func (e *ConfigError) Is(target error) bool { return target == ErrInvalidConfig }

// validate checks c and returns a copy with the defaults filled in.
func (c Config) validate() (Config, error) {
	for _, p := range []struct {
		name string
		v    float64
	}{{"Loss", c.Loss}, {"Reorder", c.Reorder}, {"Duplicate", c.Duplicate}, {"Corrupt", c.Corrupt}} {
		if math.IsNaN(p.v) || p.v < 0 || p.v > 1 {
			return Config{}, &ConfigError{Field: p.name, Reason: fmt.Sprintf("is %v, want a probability in [0, 1]", p.v)}
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"Delay", c.Delay}, {"Jitter", c.Jitter}, {"ReorderDelay", c.ReorderDelay}} {
		if d.v < 0 || d.v > MaxDelay {
			return Config{}, &ConfigError{Field: d.name, Reason: fmt.Sprintf("is %v, want 0..%v", d.v, MaxDelay)}
		}
	}
	if c.RateBps < 0 {
		return Config{}, &ConfigError{Field: "RateBps", Reason: fmt.Sprintf("is %d, want >= 0 (0: no cap)", c.RateBps)}
	}
	if c.QueueLimit < 0 {
		return Config{}, &ConfigError{Field: "QueueLimit", Reason: fmt.Sprintf("is %d, want >= 0 (0: default %d)", c.QueueLimit, DefaultQueueLimit)}
	}
	if c.QueueLimit == 0 {
		c.QueueLimit = DefaultQueueLimit
	}
	if c.ReorderDelay == 0 {
		c.ReorderDelay = DefaultReorderDelay
	}
	return c, nil
}

// rateBurst is the token bucket's depth in bytes for c.RateBps.
func (c Config) rateBurst() float64 {
	return max(float64(c.RateBps)*rateBurstTime.Seconds(), minRateBurst)
}
