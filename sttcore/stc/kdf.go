package stc

import (
	"crypto/hkdf"
	"hash"

	"golang.org/x/crypto/blake2s"
)

// Context labels. Each derivation in STC v1 uses its own label, so that no two
// keys are ever the same even when derived from the same secret.
const (
	labelStatic     = "STC v1 static x25519"
	labelNetworkKey = "STC v1 network key"
	labelMAC1       = "STC v1 mac1----"
	labelCookie     = "STC v1 cookie--"
	labelDataKey    = "STC v1 data key "
	labelStreamKey  = "STC v1 stream key "
)

func newBLAKE2s() hash.Hash {
	h, _ := blake2s.New256(nil) // cannot fail without a key
	return h
}

// deriveKey returns HKDF-BLAKE2s(secret, salt, info) truncated to 32 bytes.
func deriveKey(secret, salt []byte, info string) [32]byte {
	var out [32]byte
	k, err := hkdf.Key(newBLAKE2s, secret, salt, info, len(out))
	if err != nil {
		// Only possible for an output longer than 255 hash lengths.
		panic("stc: hkdf: " + err.Error())
	}
	copy(out[:], k)
	return out
}

// hash256 returns BLAKE2s-256 of the concatenation of parts.
func hash256(parts ...[]byte) [32]byte {
	h := newBLAKE2s()
	for _, p := range parts {
		h.Write(p)
	}
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// mac128 returns the 128-bit keyed BLAKE2s of msg under key.
func mac128(key *[32]byte, msg []byte) [16]byte { return mac128Keyed(key[:], msg) }

// mac128Keyed returns the 128-bit keyed BLAKE2s of msg under a key of 1 to 32 bytes.
func mac128Keyed(key []byte, msg []byte) [16]byte {
	m, err := blake2s.New128(key)
	if err != nil {
		panic("stc: blake2s: " + err.Error()) // callers pass 16 or 32 bytes
	}
	m.Write(msg)
	var out [16]byte
	m.Sum(out[:0])
	return out
}
