package stc

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/curve25519"
)

// KeySize is the size of every key in STC v1.
const KeySize = 32

var (
	// ErrKeyEncoding is returned for key text that is not base64 of 32 bytes.
	ErrKeyEncoding = errors.New("stc: key is not base64 of 32 bytes")
	// ErrWeakKey is returned for a public key of low order, for which X25519
	// yields no shared secret.
	ErrWeakKey = errors.New("stc: public key is a low-order point")
	// ErrZeroKey is returned for an all-zero key.
	ErrZeroKey = errors.New("stc: key is all zeros")
)

// PrivateKey is a node seed: the node's long-term secret. The static X25519
// key is derived from it (StaticPrivate). Its text form is base64, as written
// by `stt-tun genkey` and read by `stt-tun pubkey`.
type PrivateKey [KeySize]byte

// PublicKey is a node's static X25519 public key.
type PublicKey [KeySize]byte

// NodeID names a node: BLAKE2s-256 of its public key.
type NodeID [32]byte

// GeneratePrivateKey returns a new random node seed.
func GeneratePrivateKey() (PrivateKey, error) {
	var k PrivateKey
	if _, err := rand.Read(k[:]); err != nil {
		return PrivateKey{}, fmt.Errorf("stc: reading random seed: %w", err)
	}
	return k, nil
}

// Argon2id parameters for passphrase-derived seeds (RFC 9106's second
// recommended option: 64 MiB, 3 passes).
const (
	argonTime    = 3
	argonMemory  = 64 * 1024
	argonThreads = 4
)

// PrivateKeyFromPassphrase derives a node seed from a passphrase and a salt
// with Argon2id. The same passphrase and salt give the same key on any machine.
// The salt should be unique to the node (e.g. its name) and at least 8 bytes.
func PrivateKeyFromPassphrase(passphrase, salt []byte) (PrivateKey, error) {
	if len(passphrase) == 0 {
		return PrivateKey{}, errors.New("stc: empty passphrase")
	}
	if len(salt) < 8 {
		return PrivateKey{}, errors.New("stc: salt shorter than 8 bytes")
	}
	var k PrivateKey
	copy(k[:], argon2.IDKey(passphrase, salt, argonTime, argonMemory, argonThreads, KeySize))
	return k, nil
}

// StaticPrivate returns the X25519 private scalar derived from the seed.
func (k *PrivateKey) StaticPrivate() [32]byte {
	s := deriveKey(k[:], nil, labelStatic)
	// Clamp as RFC 7748 does; X25519 clamps again, but a clamped value is what
	// other implementations expect to see.
	s[0] &= 248
	s[31] = (s[31] & 127) | 64
	return s
}

// PublicKey returns the public key of the node.
func (k *PrivateKey) PublicKey() PublicKey {
	s := k.StaticPrivate()
	var p PublicKey
	pub, err := curve25519.X25519(s[:], curve25519.Basepoint)
	if err != nil {
		panic("stc: x25519 of base point: " + err.Error()) // impossible for a clamped scalar
	}
	copy(p[:], pub)
	return p
}

// IsZero reports whether k is all zeros (an unset key).
func (k *PrivateKey) IsZero() bool {
	var zero PrivateKey
	return subtle.ConstantTimeCompare(k[:], zero[:]) == 1
}

// Encode returns the base64 text form of the seed. It is the only way the
// secret leaves this type as text.
func (k PrivateKey) Encode() string { return base64.StdEncoding.EncodeToString(k[:]) }

// String hides the key, so that it never reaches a log by accident.
func (k PrivateKey) String() string { return "(private key)" }

// GoString hides the key from %#v too.
func (k PrivateKey) GoString() string { return "stc.PrivateKey(hidden)" }

// LogValue hides the key from log/slog.
func (k PrivateKey) LogValue() slog.Value { return slog.StringValue("(private key)") }

// ParsePrivateKey parses the base64 text form of a node seed. Surrounding
// white space is ignored.
func ParsePrivateKey(s string) (PrivateKey, error) {
	var k PrivateKey
	if err := decodeKey(s, k[:]); err != nil {
		return PrivateKey{}, err
	}
	if k.IsZero() {
		return PrivateKey{}, ErrZeroKey
	}
	return k, nil
}

// String returns the base64 text form.
func (p PublicKey) String() string { return base64.StdEncoding.EncodeToString(p[:]) }

// MarshalText implements encoding.TextMarshaler.
func (p PublicKey) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *PublicKey) UnmarshalText(b []byte) error {
	k, err := ParsePublicKey(string(b))
	if err != nil {
		return err
	}
	*p = k
	return nil
}

// Equal compares two public keys in constant time.
func (p PublicKey) Equal(o PublicKey) bool { return subtle.ConstantTimeCompare(p[:], o[:]) == 1 }

// IsZero reports whether p is all zeros (unset).
func (p PublicKey) IsZero() bool { return p == PublicKey{} }

// Less orders public keys bytewise. Two peers use it to agree on roles, e.g.
// which of them opens streams with even IDs.
func (p PublicKey) Less(o PublicKey) bool {
	for i := range p {
		if p[i] != o[i] {
			return p[i] < o[i]
		}
	}
	return false
}

// NodeID returns BLAKE2s-256 of the public key.
func (p PublicKey) NodeID() NodeID { return NodeID(hash256(p[:])) }

// ParsePublicKey parses the base64 text form of a public key and rejects
// keys of low order.
func ParsePublicKey(s string) (PublicKey, error) {
	var p PublicKey
	if err := decodeKey(s, p[:]); err != nil {
		return PublicKey{}, err
	}
	if err := p.Check(); err != nil {
		return PublicKey{}, err
	}
	return p, nil
}

// Check reports ErrWeakKey if p is a low-order point, with which no shared
// secret can be agreed. Any non-zero scalar shows it.
func (p PublicKey) Check() error {
	var probe [32]byte
	probe[0] = 9
	if _, err := curve25519.X25519(probe[:], p[:]); err != nil {
		return ErrWeakKey
	}
	return nil
}

// String returns the first 8 bytes in hex, enough to tell nodes apart in logs.
func (id NodeID) String() string { return hex.EncodeToString(id[:8]) }

func decodeKey(s string, dst []byte) error {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != KeySize {
		return ErrKeyEncoding
	}
	copy(dst, b)
	return nil
}
