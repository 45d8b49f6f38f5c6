package transporttest

import "sync/atomic"

// Stats counts what a Network did with the packets written to it. Every
// packet written, and every duplicate made, ends in exactly one of
// Delivered, InFlight or the drops before delivery (Loss, Partition, MTU,
// NoRoute, Queue); a delivered packet may later be dropped for ShortBuffer.
type Stats struct {
	Sent       uint64 // packets given to WriteBatch
	Delivered  uint64 // packets placed in a receive queue, duplicates included
	Duplicated uint64 // extra copies made
	Reordered  uint64 // packets (or copies) held back to be overtaken
	InFlight   uint64 // packets waiting out their delay now

	DroppedLoss        uint64 // lost at random (Config.Loss)
	DroppedQueue       uint64 // the receive queue was full
	DroppedPartition   uint64 // the two Conns were partitioned
	DroppedMTU         uint64 // larger than the link's MTU
	DroppedNoRoute     uint64 // no open Conn at the destination (or no longer, after a Rebind)
	DroppedShortBuffer uint64 // larger than the buffer ReadBatch offered
}

// Dropped is the sum of all drops.
func (s Stats) Dropped() uint64 {
	return s.DroppedLoss + s.DroppedQueue + s.DroppedPartition + s.DroppedMTU + s.DroppedNoRoute + s.DroppedShortBuffer
}

// counters are the live Stats. All but shortBuffer change under the
// Network's mutex; shortBuffer changes under a Conn's.
type counters struct {
	sent, delivered, duplicated, reordered            atomic.Uint64
	loss, queue, partition, mtu, noRoute, shortBuffer atomic.Uint64
}
