// Package replay implements the sliding anti-replay window of RFC 6479, sized
// for STC v1: a DATA packet's counter is accepted once, and only while it is
// within WindowSize (16320) of the largest counter accepted so far.
//
// The window is a ring of 256 blocks of 64 bits (2 KiB). Moving it forward
// clears only the blocks it enters, so ValidateCounter costs O(1) for
// in-order and reordered traffic alike and never allocates.
//
// The package knows nothing of keys, sessions or packet formats: the caller
// checks a counter only after the packet that carries it has authenticated
// (so that forged packets cannot move the window), keeps one Filter per
// receiving key, and supplies the limit after which a key must not be used.
//
// A Filter is not safe for concurrent use. The caller serialises the calls,
// as the sequential receiver does, which handles each peer's packets in order
// after the parallel decryption stage.
package replay
