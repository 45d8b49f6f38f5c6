package stc

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// MinSharedSeed is the shortest shared seed accepted, in bytes.
const MinSharedSeed = 16

// NetworkKey is the 32-byte pre-shared key of a network, derived from its
// shared seed. It is mixed into every handshake (the Noise psk) and into the
// mac1 and cookie keys, so a node that lacks it gets no answer at all.
// The zero NetworkKey is valid and means an open network.
type NetworkKey [KeySize]byte

// ErrSharedSeed is returned for a shared seed that is too short or not base64.
var ErrSharedSeed = errors.New("stc: shared seed must be base64 of at least 16 bytes")

// GenerateSharedSeed returns 32 random bytes for a new network.
func GenerateSharedSeed() ([]byte, error) {
	seed := make([]byte, 32)
	if _, err := rand.Read(seed); err != nil {
		return nil, fmt.Errorf("stc: reading random seed: %w", err)
	}
	return seed, nil
}

// EncodeSharedSeed returns the text form of a shared seed (base64).
func EncodeSharedSeed(seed []byte) string { return base64.StdEncoding.EncodeToString(seed) }

// ParseSharedSeed parses the text form of a shared seed.
func ParseSharedSeed(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) < MinSharedSeed {
		return nil, ErrSharedSeed
	}
	return b, nil
}

// DeriveNetworkKey derives the network key from a shared seed.
func DeriveNetworkKey(sharedSeed []byte) NetworkKey {
	return NetworkKey(deriveKey(sharedSeed, nil, labelNetworkKey))
}

// String hides the key.
func (k NetworkKey) String() string { return "(network key)" }

// GoString hides the key from %#v.
func (k NetworkKey) GoString() string { return "stc.NetworkKey(hidden)" }

// LogValue hides the key from log/slog.
func (k NetworkKey) LogValue() slog.Value { return slog.StringValue("(network key)") }
