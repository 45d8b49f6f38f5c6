// Package handshake runs the STT handshake: Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s
// (through github.com/flynn/noise) in one round trip, HELLO then RESPONSE.
//
// The initiator knows the responder's static public key in advance (IK); the
// network key is the Noise psk, mixed in at the end of the RESPONSE (psk2).
// The HELLO carries a TAI64N timestamp and the initiator's cipher suites; the
// RESPONSE carries the suite the responder chose. Both payloads are encrypted
// and bound to the transcript, so a suite cannot be downgraded in flight.
//
// This package only computes messages and keys. It does not check MACs or
// cookies (stc does), keep indices, reject replayed timestamps or rate-limit:
// the session layer does that with the Hello's identity and timestamp that
// ReadHello returns. Values of this package are not safe for concurrent use.
package handshake
