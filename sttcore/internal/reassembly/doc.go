// Package reassembly puts a stream's data back in order: it takes data
// segments at byte offsets, in any order, duplicated or overlapping, and
// gives out each byte exactly once, in order. It is quic-go's frame sorter
// reduced to its idea.
//
// Memory is bounded by the caller: a Sorter holds at most the bytes between
// the read position and the highest offset received, which flow control
// limits. It makes no allocation beyond copying each new byte once. A Sorter
// is not safe for concurrent use.
package reassembly
