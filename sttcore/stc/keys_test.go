package stc

import (
	"bytes"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPrivateKeyRoundTrip(t *testing.T) {
	k, err := GeneratePrivateKey()
	require.NoError(t, err)
	got, err := ParsePrivateKey(" " + k.Encode() + "\n")
	require.NoError(t, err)
	require.Equal(t, k, got)
	require.Equal(t, k.PublicKey(), got.PublicKey(), "derivation is deterministic")

	other, err := GeneratePrivateKey()
	require.NoError(t, err)
	require.NotEqual(t, k.PublicKey(), other.PublicKey())
}

func TestParseKeyErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", ErrKeyEncoding},
		{"not base64", "!!!!", ErrKeyEncoding},
		{"too short", "AAEC", ErrKeyEncoding},
		{"33 bytes", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", ErrKeyEncoding},
		{"zero private", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", ErrZeroKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePrivateKey(tt.in)
			require.ErrorIs(t, err, tt.want)
		})
	}
}

func TestParsePublicKeyRejectsLowOrder(t *testing.T) {
	// The all-zero point and the point of order 8 used by attackers on X25519.
	for _, weak := range []string{
		"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"4Ot6fDtBuK4WVuP68Z/EatoJjeucMrH9hmIFFl9JuAA=",
	} {
		_, err := ParsePublicKey(weak)
		require.ErrorIs(t, err, ErrWeakKey, weak)
	}
	k, err := GeneratePrivateKey()
	require.NoError(t, err)
	pub := k.PublicKey()
	got, err := ParsePublicKey(pub.String())
	require.NoError(t, err)
	require.True(t, got.Equal(pub))
	require.Equal(t, pub.NodeID(), got.NodeID())
}

// Known answer: the derivation must not change, or every deployed key breaks.
func TestPublicKeyKnownAnswer(t *testing.T) {
	var k PrivateKey
	for i := range k {
		k[i] = byte(i)
	}
	pub := k.PublicKey()
	require.Equal(t, knownPublicKey, pub.String())
}

// Seed bytes 0..31; computed independently (Python: hmac/blake2s HKDF and RFC 7748 X25519).
const knownPublicKey = "8jY2MymTSI7+76VRMGrzOwPqbQH0U/RUEboi2lT9UWI="

func TestSecretsNeverPrint(t *testing.T) {
	k, err := GeneratePrivateKey()
	require.NoError(t, err)
	nk := DeriveNetworkKey([]byte("0123456789abcdef"))
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	log.Info("keys", "private", k, "network", nk)
	out := buf.String() + fmt.Sprint(k, nk) + fmt.Sprintf("%v %+v %#v %s", k, k, k, nk)
	require.NotContains(t, out, k.Encode())
	require.NotContains(t, out, fmt.Sprint(k[:]))
	require.NotContains(t, out, fmt.Sprint(nk[:]))
	require.Contains(t, out, "(private key)")
}

func TestPassphraseKey(t *testing.T) {
	a, err := PrivateKeyFromPassphrase([]byte("correct horse"), []byte("node-one"))
	require.NoError(t, err)
	b, err := PrivateKeyFromPassphrase([]byte("correct horse"), []byte("node-one"))
	require.NoError(t, err)
	c, err := PrivateKeyFromPassphrase([]byte("correct horse"), []byte("node-two"))
	require.NoError(t, err)
	require.Equal(t, a, b)
	require.NotEqual(t, a, c)
	_, err = PrivateKeyFromPassphrase(nil, []byte("node-one"))
	require.Error(t, err)
	_, err = PrivateKeyFromPassphrase([]byte("x"), []byte("short"))
	require.Error(t, err)
}

func TestSharedSeed(t *testing.T) {
	seed, err := GenerateSharedSeed()
	require.NoError(t, err)
	got, err := ParseSharedSeed(EncodeSharedSeed(seed))
	require.NoError(t, err)
	require.Equal(t, seed, got)
	require.Equal(t, DeriveNetworkKey(seed), DeriveNetworkKey(got))
	require.NotEqual(t, DeriveNetworkKey(seed), DeriveNetworkKey(append([]byte{1}, seed...)))
	_, err = ParseSharedSeed("c2hvcnQ=") // "short"
	require.ErrorIs(t, err, ErrSharedSeed)
}

func TestPublicKeyLess(t *testing.T) {
	a, b := PublicKey{1}, PublicKey{2}
	require.True(t, a.Less(b))
	require.False(t, b.Less(a))
	require.False(t, a.Less(a))
}
