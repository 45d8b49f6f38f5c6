package transporttest

import (
	"math"
	"time"
)

// Defaults for the zero values of Config.
const (
	// DefaultQueueLimit is the default receive queue of a Conn, in packets.
	DefaultQueueLimit = 1024
	// DefaultMTU is the default largest packet a link carries, in bytes.
	DefaultMTU = 65535
	// minReorderHold is the least a reordered packet is held back.
	minReorderHold = time.Millisecond
)

// Config sets a network's or a link's impairments. The zero Config is a
// perfect network: no loss, no delay, 1024-packet queues, a 65535-byte MTU.
// Probabilities outside [0, 1] are clamped, negative durations count as 0.
type Config struct {
	// Loss is the probability that a packet is lost.
	Loss float64
	// Duplicate is the probability that a packet is delivered twice. The
	// copy draws its own delay and may be reordered.
	Duplicate float64
	// Reorder is the probability that a packet is held back by an extra
	// Delay+Jitter (at least 1 ms), so that packets sent after it overtake it.
	Reorder float64
	// Delay is the one-way delay of every packet.
	Delay time.Duration
	// Jitter adds a uniformly random [0, Jitter) to each packet's delay;
	// like netem's, it reorders packets sent closer together than that.
	Jitter time.Duration
	// Seed seeds the random decisions. Only NewNetwork reads it.
	Seed uint64
	// QueueLimit is the receive queue of each Conn, in packets; 0 means
	// DefaultQueueLimit. It is read when a Conn is created, from the
	// network's Config.
	QueueLimit int
	// MTU is the largest packet carried, in bytes; larger ones are dropped.
	// 0 means DefaultMTU.
	MTU int
}

// withDefaults returns c with defaults filled in and values clamped.
func (c Config) withDefaults() Config {
	c.Loss = clampProbability(c.Loss)
	c.Duplicate = clampProbability(c.Duplicate)
	c.Reorder = clampProbability(c.Reorder)
	c.Delay = max(c.Delay, 0)
	c.Jitter = max(c.Jitter, 0)
	if c.QueueLimit <= 0 {
		c.QueueLimit = DefaultQueueLimit
	}
	if c.MTU <= 0 {
		c.MTU = DefaultMTU
	}
	return c
}

func clampProbability(p float64) float64 {
	if math.IsNaN(p) || p < 0 {
		return 0
	}
	return min(p, 1)
}

// reorderHold is how long a reordered packet is held back.
func (c *Config) reorderHold() time.Duration {
	return max(c.Delay+c.Jitter, minReorderHold)
}
