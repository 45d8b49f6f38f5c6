package wire

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// packet returns a packet of n bytes with header version, typ, reserved
// zero, and a body of counting bytes.
func packet(typ PacketType, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	if n >= HeaderLen {
		putHeader(b, typ)
	}
	return b
}

func TestParseType(t *testing.T) {
	withByte := func(b []byte, i int, v byte) []byte { b[i] = v; return b }
	tests := []struct {
		name string
		b    []byte
		want PacketType
		err  error
	}{
		{"HELLO", packet(TypeHello, HelloLen), TypeHello, nil},
		{"RESPONSE", packet(TypeResponse, ResponseLen), TypeResponse, nil},
		{"CHALLENGE", packet(TypeChallenge, ChallengeLen), TypeChallenge, nil},
		{"keepalive", packet(TypeData, MinDataLen), TypeData, nil},
		{"DATA", packet(TypeData, 1452), TypeData, nil},
		{"empty", nil, 0, ErrBadLength},
		{"shorter than the header", []byte{1, 4, 0}, 0, ErrBadLength},
		{"HELLO one short", packet(TypeHello, HelloLen-1), 0, ErrBadLength},
		{"HELLO one long", packet(TypeHello, HelloLen+1), 0, ErrBadLength},
		{"RESPONSE as long as a HELLO", packet(TypeResponse, HelloLen), 0, ErrBadLength},
		{"CHALLENGE one short", packet(TypeChallenge, ChallengeLen-1), 0, ErrBadLength},
		{"DATA one short", packet(TypeData, MinDataLen-1), 0, ErrBadLength},
		{"version 0", withByte(packet(TypeData, 100), 0, 0), 0, ErrBadVersion},
		{"version 2", withByte(packet(TypeHello, HelloLen), 0, 2), 0, ErrBadVersion},
		{"type 0", packet(0, 100), 0, ErrBadType},
		{"type 5", packet(5, 100), 0, ErrBadType},
		{"type 0xff", packet(0xff, 100), 0, ErrBadType},
		{"reserved high", withByte(packet(TypeData, 100), 2, 0x80), 0, ErrReserved},
		{"reserved low", withByte(packet(TypeHello, HelloLen), 3, 0x01), 0, ErrReserved},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseType(tt.b)
			require.ErrorIs(t, err, tt.err)
			if tt.err == nil {
				require.NoError(t, err)
			}
			require.Equal(t, tt.want, got)
		})
	}
}

// The named offsets tile each packet with no gap and no overlap.
func TestLayout(t *testing.T) {
	require.Equal(t, HelloOffsetNoise, HelloOffsetSender+4)
	require.Equal(t, HelloOffsetMAC1, HelloOffsetNoise+HelloNoiseLen)
	require.Equal(t, HelloOffsetMAC2, HelloOffsetMAC1+MACLen)
	require.Equal(t, HelloLen, HelloOffsetMAC2+MACLen)
	require.Equal(t, ResponseOffsetReceiver, ResponseOffsetSender+4)
	require.Equal(t, ResponseOffsetNoise, ResponseOffsetReceiver+4)
	require.Equal(t, ResponseOffsetMAC1, ResponseOffsetNoise+ResponseNoiseLen)
	require.Equal(t, ResponseOffsetMAC2, ResponseOffsetMAC1+MACLen)
	require.Equal(t, ResponseLen, ResponseOffsetMAC2+MACLen)
	require.Equal(t, ChallengeOffsetNonce, ChallengeOffsetReceiver+4)
	require.Equal(t, ChallengeOffsetCookie, ChallengeOffsetNonce+CookieNonceLen)
	require.Equal(t, ChallengeLen, ChallengeOffsetCookie+CookieSealedLen)
	require.Equal(t, DataOffsetCounter, DataOffsetReceiver+4)
	require.Equal(t, DataOffsetContent, DataOffsetCounter+8)
	require.Equal(t, DataHeaderLen, DataOffsetContent)
	// §3.4 / DESIGN §3: one IP packet costs at most 40 bytes.
	require.LessOrEqual(t, DataHeaderLen+(&IPFrame{}).Length()+TagLen, 40)
}

func fill(b []byte, start byte) {
	for i := range b {
		b[i] = start + byte(i)
	}
}

func TestHello(t *testing.T) {
	m := Hello{Sender: 0x01020304}
	fill(m.Noise[:], 0x10)
	fill(m.MAC1[:], 0xa0)
	fill(m.MAC2[:], 0xc0)
	b := make([]byte, HelloLen+3)
	m.Marshal(b)
	require.Equal(t, []byte{1, 1, 0, 0, 1, 2, 3, 4}, b[:8], "header and big-endian sender")
	require.Equal(t, m.Noise[:], b[HelloOffsetNoise:HelloOffsetMAC1])
	require.Equal(t, m.MAC1[:], b[HelloOffsetMAC1:HelloOffsetMAC2])
	require.Equal(t, m.MAC2[:], b[HelloOffsetMAC2:HelloLen])
	require.Equal(t, []byte{0, 0, 0}, b[HelloLen:], "Marshal writes HelloLen bytes only")

	var got Hello
	require.NoError(t, got.Unmarshal(b[:HelloLen]))
	require.Equal(t, m, got)
	typ, err := ParseType(b[:HelloLen])
	require.NoError(t, err)
	require.Equal(t, TypeHello, typ)

	requireHandshakeErrors(t, b[:HelloLen], func(b []byte) error {
		var m Hello
		err := m.Unmarshal(b)
		require.Zero(t, m, "unchanged on error")
		return err
	})
}

func TestResponse(t *testing.T) {
	m := Response{Sender: 0x01020304, Receiver: 0xfffefdfc}
	fill(m.Noise[:], 0x10)
	fill(m.MAC1[:], 0xa0)
	fill(m.MAC2[:], 0xc0)
	b := make([]byte, ResponseLen)
	m.Marshal(b)
	require.Equal(t, []byte{1, 2, 0, 0, 1, 2, 3, 4, 0xff, 0xfe, 0xfd, 0xfc}, b[:12])
	require.Equal(t, m.Noise[:], b[ResponseOffsetNoise:ResponseOffsetMAC1])
	require.Equal(t, m.MAC1[:], b[ResponseOffsetMAC1:ResponseOffsetMAC2])
	require.Equal(t, m.MAC2[:], b[ResponseOffsetMAC2:])

	var got Response
	require.NoError(t, got.Unmarshal(b))
	require.Equal(t, m, got)

	requireHandshakeErrors(t, b, func(b []byte) error {
		var m Response
		err := m.Unmarshal(b)
		require.Zero(t, m, "unchanged on error")
		return err
	})
}

func TestChallenge(t *testing.T) {
	m := Challenge{Receiver: 0xdeadbeef}
	fill(m.Nonce[:], 0x10)
	fill(m.Cookie[:], 0xa0)
	b := make([]byte, ChallengeLen)
	m.Marshal(b)
	require.Equal(t, []byte{1, 3, 0, 0, 0xde, 0xad, 0xbe, 0xef}, b[:8])
	require.Equal(t, m.Nonce[:], b[ChallengeOffsetNonce:ChallengeOffsetCookie])
	require.Equal(t, m.Cookie[:], b[ChallengeOffsetCookie:])

	var got Challenge
	require.NoError(t, got.Unmarshal(b))
	require.Equal(t, m, got)

	requireHandshakeErrors(t, b, func(b []byte) error {
		var m Challenge
		err := m.Unmarshal(b)
		require.Zero(t, m, "unchanged on error")
		return err
	})
}

// requireHandshakeErrors checks that unmarshal rejects good, a valid
// handshake packet, when its length, version, type or reserved bytes change.
func requireHandshakeErrors(t *testing.T, good []byte, unmarshal func([]byte) error) {
	t.Helper()
	mutate := func(i int, v byte) []byte {
		b := append([]byte(nil), good...)
		b[i] = v
		return b
	}
	tests := []struct {
		name string
		b    []byte
		err  error
	}{
		{"empty", nil, ErrBadLength},
		{"one short", good[:len(good)-1], ErrBadLength},
		{"one long", append(append([]byte(nil), good...), 0), ErrBadLength},
		{"version", mutate(0, 2), ErrBadVersion},
		{"type DATA", mutate(1, byte(TypeData)), ErrBadType},
		{"type unknown", mutate(1, 9), ErrBadType},
		{"reserved", mutate(2, 1), ErrReserved},
		{"reserved low", mutate(3, 0x40), ErrReserved},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.ErrorIs(t, unmarshal(tt.b), tt.err)
		})
	}
}

func TestDataHeader(t *testing.T) {
	b := make([]byte, MinDataLen)
	PutDataHeader(b, 0x01020304, 0x1122334455667788)
	require.Equal(t, []byte{1, 4, 0, 0, 1, 2, 3, 4, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88}, b[:DataHeaderLen])
	require.Equal(t, make([]byte, TagLen), b[DataHeaderLen:], "PutDataHeader writes the header only")

	r, c, err := ParseDataHeader(b)
	require.NoError(t, err)
	require.Equal(t, Index(0x01020304), r)
	require.Equal(t, PacketNumber(0x1122334455667788), c)

	mutate := func(i int, v byte) []byte {
		m := append([]byte(nil), b...)
		m[i] = v
		return m
	}
	for _, tt := range []struct {
		name string
		b    []byte
		err  error
	}{
		{"header only", b[:DataHeaderLen], ErrBadLength},
		{"one short", b[:MinDataLen-1], ErrBadLength},
		{"version", mutate(0, 0), ErrBadVersion},
		{"type", mutate(1, byte(TypeHello)), ErrBadType},
		{"reserved", mutate(3, 1), ErrReserved},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, c, err := ParseDataHeader(tt.b)
			require.ErrorIs(t, err, tt.err)
			require.Zero(t, r)
			require.Zero(t, c)
		})
	}
}

func TestPacketFunctionsDoNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	data := packet(TypeData, 100)
	hello := packet(TypeHello, HelloLen)
	bad := packet(7, 100)
	var m Hello
	allocs := testing.AllocsPerRun(100, func() {
		_, _ = ParseType(data)
		_, _ = ParseType(bad)
		_, _, _ = ParseDataHeader(data)
		_, _, _ = ParseDataHeader(bad)
		_ = m.Unmarshal(hello)
		_ = m.Unmarshal(bad)
	})
	require.Zero(t, allocs)
}

func TestPacketTypeString(t *testing.T) {
	require.Equal(t, "HELLO", TypeHello.String())
	require.Equal(t, "DATA", TypeData.String())
	require.Equal(t, "PacketType(9)", PacketType(9).String())
}

func FuzzPacketHeader(f *testing.F) {
	f.Add(packet(TypeHello, HelloLen))
	f.Add(packet(TypeResponse, ResponseLen))
	f.Add(packet(TypeChallenge, ChallengeLen))
	f.Add(packet(TypeData, MinDataLen))
	f.Add(packet(TypeData, 80))
	f.Fuzz(func(t *testing.T, b []byte) {
		typ, err := ParseType(b)
		var hello Hello
		var resp Response
		var chal Challenge
		helloErr := hello.Unmarshal(b)
		respErr := resp.Unmarshal(b)
		chalErr := chal.Unmarshal(b)
		receiver, counter, dataErr := ParseDataHeader(b)

		// ParseType accepts a packet exactly when the parser of its type does.
		require.Equal(t, err == nil && typ == TypeHello, helloErr == nil)
		require.Equal(t, err == nil && typ == TypeResponse, respErr == nil)
		require.Equal(t, err == nil && typ == TypeChallenge, chalErr == nil)
		require.Equal(t, err == nil && typ == TypeData, dataErr == nil)
		if err != nil {
			return
		}
		out := make([]byte, len(b))
		switch typ {
		case TypeHello:
			hello.Marshal(out)
		case TypeResponse:
			resp.Marshal(out)
		case TypeChallenge:
			chal.Marshal(out)
		case TypeData:
			PutDataHeader(out, receiver, counter)
			copy(out[DataHeaderLen:], b[DataHeaderLen:])
		}
		require.Equal(t, b, out)
	})
}

func BenchmarkParseDataHeader(b *testing.B) {
	data := packet(TypeData, 1452)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ParseDataHeader(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPutDataHeader(b *testing.B) {
	data := make([]byte, 1452)
	b.ReportAllocs()
	var c PacketNumber
	for b.Loop() {
		PutDataHeader(data, 0x01020304, c)
		c++
	}
}
