package stc

import (
	"crypto/aes"
	"crypto/cipher"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/sys/cpu"
)

// Suite names an AEAD for DATA packets. As a set (a bit mask) it is what a
// node offers in its handshake.
type Suite uint8

const (
	// SuiteChaCha20Poly1305 is ChaCha20-Poly1305 (RFC 8439). Every node has it.
	SuiteChaCha20Poly1305 Suite = 0x01
	// SuiteAES256GCM is AES-256-GCM, chosen only when both peers offer it,
	// which they do when their CPU accelerates AES and GHASH.
	SuiteAES256GCM Suite = 0x02

	// KnownSuites is the mask of every suite STC v1 defines.
	KnownSuites = SuiteChaCha20Poly1305 | SuiteAES256GCM
)

// TagSize is the size of the authentication tag of every suite.
const TagSize = 16

// NonceSize is the nonce size of every suite.
const NonceSize = 12

func (s Suite) String() string {
	switch s {
	case SuiteChaCha20Poly1305:
		return "chacha20-poly1305"
	case SuiteAES256GCM:
		return "aes-256-gcm"
	default:
		return fmt.Sprintf("suites(%#02x)", uint8(s))
	}
}

// HardwareAES reports whether this CPU accelerates AES-GCM.
func HardwareAES() bool {
	return (cpu.X86.HasAES && cpu.X86.HasPCLMULQDQ) ||
		(cpu.ARM64.HasAES && cpu.ARM64.HasPMULL) ||
		(cpu.S390X.HasAES && cpu.S390X.HasAESGCM)
}

// LocalSuites returns the suites this node offers: ChaCha20-Poly1305 always,
// AES-256-GCM when the CPU accelerates it and preferAES is set.
func LocalSuites(preferAES bool) Suite {
	s := SuiteChaCha20Poly1305
	if preferAES && HardwareAES() {
		s |= SuiteAES256GCM
	}
	return s
}

// NegotiateSuite picks the suite for a session from the initiator's and the
// responder's offers: AES-256-GCM if both offer it, else ChaCha20-Poly1305.
// It returns 0 if they share none.
func NegotiateSuite(initiator, responder Suite) Suite {
	common := initiator & responder & KnownSuites
	switch {
	case common&SuiteAES256GCM != 0:
		return SuiteAES256GCM
	case common&SuiteChaCha20Poly1305 != 0:
		return SuiteChaCha20Poly1305
	default:
		return 0
	}
}

// NewAEAD returns the AEAD of suite s with a 32-byte key.
func NewAEAD(s Suite, key *[KeySize]byte) (cipher.AEAD, error) {
	switch s {
	case SuiteChaCha20Poly1305:
		return chacha20poly1305.New(key[:])
	case SuiteAES256GCM:
		block, err := aes.NewCipher(key[:])
		if err != nil {
			return nil, err
		}
		return cipher.NewGCM(block)
	default:
		return nil, fmt.Errorf("stc: unknown suite %v", s)
	}
}

// DeriveDataKey derives the DATA key for suite s from one half of the Noise
// handshake's split. Binding the suite into the key means a key is never used
// with two ciphers.
func DeriveDataKey(s Suite, split *[KeySize]byte) [KeySize]byte {
	return deriveKey(split[:], nil, labelDataKey+s.String())
}

// DeriveStreamKey derives the key of an isolated stream context from a
// session secret and the stream ID.
func DeriveStreamKey(sessionSecret *[KeySize]byte, streamID uint64) [KeySize]byte {
	var id [8]byte
	for i := range id {
		id[i] = byte(streamID >> (56 - 8*i))
	}
	return deriveKey(sessionSecret[:], id[:], labelStreamKey)
}

// PutNonce writes the 96-bit DATA nonce for counter into n: four zero bytes
// and the counter, big-endian.
func PutNonce(n *[NonceSize]byte, counter uint64) {
	n[0], n[1], n[2], n[3] = 0, 0, 0, 0
	for i := range 8 {
		n[4+i] = byte(counter >> (56 - 8*i))
	}
}
