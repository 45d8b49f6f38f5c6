package sttcore

import "time"

// Specification constants (docs/protocol.md §9). Each is the default of the
// Config field of the same name; tests shorten them.
const (
	// RekeyAfterTime: the initiator of a keypair starts a new handshake when it
	// sends on a keypair this old.
	RekeyAfterTime = 120 * time.Second
	// RejectAfterTime: a keypair this old is used for nothing.
	RejectAfterTime = 180 * time.Second
	// RekeyAfterMessages: a new handshake starts after this many packets sent
	// on one keypair.
	RekeyAfterMessages = 1 << 60
	// RejectAfterMessages: a keypair never seals or opens more packets than this.
	RejectAfterMessages = 1<<64 - 1<<13 - 1
	// RekeyTimeout: a HELLO without answer is sent again after this long
	// (doubled on each try, with jitter).
	RekeyTimeout = 5 * time.Second
	// RekeyAttemptTime: the initiator gives up a handshake after this long.
	RekeyAttemptTime = 90 * time.Second
	// KeepaliveTimeout: a side that received data and has sent nothing for
	// this long sends a keepalive, so that the other side knows the path works.
	KeepaliveTimeout = 10 * time.Second
)

// Implementation constants.
const (
	// maxSessionPackets bounds the packet counter of a session, which is the
	// AEAD nonce and never restarts: a session that reaches it ends, so that
	// no counter is ever used twice (2^64 − 2^13, as RejectAfterMessages).
	maxSessionPackets = 1<<64 - 1<<13 - 1
	// maxRekeyBackoff caps the doubling of the handshake retry interval.
	maxRekeyBackoff = 4
	// helloMinInterval: HELLOs from one peer closer together than this are
	// dropped (a flood from a peer that knows the keys).
	helloMinInterval = 20 * time.Millisecond
	// defaultHandshakeQueue is the number of handshake packets that wait for
	// the handshake worker; an eighth of it full means "under load".
	defaultHandshakeQueue = 1024
	// defaultUnderLoadRate: more HELLOs than this per second also means "under
	// load", even when the worker keeps up.
	defaultUnderLoadRate = 1000
	// defaultMaxPendingSessions bounds the sessions accepted by HELLO but not
	// yet confirmed by their first DATA packet.
	defaultMaxPendingSessions = 1024
	// defaultQueueLen is the size of each session's datagram queues (staged
	// before a handshake, and received but not yet read).
	defaultQueueLen = 1024
	// defaultAcceptBacklog is the number of confirmed sessions waiting for Accept.
	defaultAcceptBacklog = 128
)
