package stc

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNegotiateSuite(t *testing.T) {
	const cc, aes = SuiteChaCha20Poly1305, SuiteAES256GCM
	tests := []struct {
		initiator, responder, want Suite
	}{
		{cc, cc, cc},
		{cc | aes, cc, cc},
		{cc, cc | aes, cc},
		{cc | aes, cc | aes, aes},
		{aes, aes, aes},
		{aes, cc, 0},
		{0x80, 0x80, 0},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, NegotiateSuite(tt.initiator, tt.responder), "%v/%v", tt.initiator, tt.responder)
	}
	require.NotZero(t, LocalSuites(true)&SuiteChaCha20Poly1305, "ChaCha20-Poly1305 is always offered")
	require.Equal(t, SuiteChaCha20Poly1305, LocalSuites(false))
}

func TestAEADSealOpen(t *testing.T) {
	for _, s := range []Suite{SuiteChaCha20Poly1305, SuiteAES256GCM} {
		t.Run(s.String(), func(t *testing.T) {
			split := [32]byte{1, 2, 3}
			key := DeriveDataKey(s, &split)
			require.NotEqual(t, DeriveDataKey(SuiteChaCha20Poly1305, &split), DeriveDataKey(SuiteAES256GCM, &split),
				"a key is bound to its suite")
			aead, err := NewAEAD(s, &key)
			require.NoError(t, err)
			require.Equal(t, TagSize, aead.Overhead())
			require.Equal(t, NonceSize, aead.NonceSize())

			var nonce [NonceSize]byte
			PutNonce(&nonce, 0x0102030405060708)
			require.Equal(t, [NonceSize]byte{0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}, nonce)
			header := []byte("header-as-ad....")
			msg := []byte("an IP packet")
			sealed := aead.Seal(nil, nonce[:], msg, header)
			opened, err := aead.Open(nil, nonce[:], sealed, header)
			require.NoError(t, err)
			require.Equal(t, msg, opened)

			// Any single flipped bit, in the ciphertext, the tag or the header, is caught.
			for i := range (len(sealed) + len(header)) * 8 {
				c := append([]byte(nil), sealed...)
				h := append([]byte(nil), header...)
				if i < len(c)*8 {
					c[i/8] ^= 1 << (i % 8)
				} else {
					j := i - len(c)*8
					h[j/8] ^= 1 << (j % 8)
				}
				_, err := aead.Open(nil, nonce[:], c, h)
				require.Error(t, err, "bit %d", i)
			}
		})
	}
	_, err := NewAEAD(0x40, &[32]byte{})
	require.Error(t, err)
}

func TestDeriveStreamKey(t *testing.T) {
	secret := [32]byte{9}
	require.NotEqual(t, DeriveStreamKey(&secret, 0), DeriveStreamKey(&secret, 1))
	require.Equal(t, DeriveStreamKey(&secret, 7), DeriveStreamKey(&secret, 7))
}

// BenchmarkSeal and BenchmarkOpen measure each suite at the sizes that matter:
// a small packet, a tunnelled MTU-sized packet and a GSO super-packet.
func BenchmarkSeal(b *testing.B) { benchAEAD(b, false) }
func BenchmarkOpen(b *testing.B) { benchAEAD(b, true) }

func benchAEAD(b *testing.B, open bool) {
	for _, s := range []Suite{SuiteChaCha20Poly1305, SuiteAES256GCM} {
		for _, size := range []int{64, 1420, 65535} {
			b.Run(fmt.Sprintf("%v/%d", s, size), func(b *testing.B) {
				key := [32]byte{1}
				aead, err := NewAEAD(s, &key)
				require.NoError(b, err)
				var nonce [NonceSize]byte
				header := make([]byte, 16)
				buf := make([]byte, size+TagSize)
				sealed := aead.Seal(nil, nonce[:], buf[:size], header)
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					if open {
						if _, err := aead.Open(buf[:0], nonce[:], sealed, header); err != nil {
							b.Fatal(err)
						}
					} else {
						aead.Seal(buf[:0], nonce[:], buf[:size], header)
					}
				}
			})
		}
	}
}
