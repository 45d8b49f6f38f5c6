package wire

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseIPFrame(t *testing.T) {
	pkt := make([]byte, 1400)
	for i := range pkt {
		pkt[i] = byte(i)
	}
	tests := []struct {
		name string
		data []byte
		want *IPFrame
		n    int
		err  error
	}{
		{"to the end", []byte{0x20, 0x45, 0x00, 0x01}, &IPFrame{Packet: []byte{0x45, 0x00, 0x01}}, 4, nil},
		{"to the end, empty", []byte{0x20}, &IPFrame{Packet: []byte{}}, 1, nil},
		{"with length", []byte{0x21, 0x03, 0x45, 0x00, 0x01, 0xaa}, &IPFrame{Packet: []byte{0x45, 0x00, 0x01}, LengthPresent: true}, 5, nil},
		{"with length, 1400 bytes", cat([]byte{0x21, 0xf8, 0x0a}, pkt, []byte{0x01}), &IPFrame{Packet: pkt, LengthPresent: true}, 1403, nil},
		{"length overruns", []byte{0x21, 0x05, 0x45, 0x00}, nil, 0, ErrTruncated},
		{"length non-minimal", []byte{0x21, 0x80, 0x00}, nil, 0, ErrNonMinimal},
		{"length overflows", cat([]byte{0x21}, vOver), nil, 0, ErrInvalidFrame},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err != nil {
				requireParseError(t, tt.data, tt.err)
				return
			}
			requireParse(t, tt.data, tt.want, tt.n)
		})
	}
}

// The packet aliases the plaintext, and its capacity ends with it, so that
// appending to it cannot overwrite the next frame.
func TestParseIPFrameAliases(t *testing.T) {
	data := []byte{0x21, 0x02, 0x45, 0x00, 0x01}
	f, _ := parseOne(t, data)
	ip := f.(*IPFrame)
	require.Same(t, &data[2], &ip.Packet[0])
	require.Equal(t, 2, cap(ip.Packet))
}

func TestParseIPFrameErrorsOnEOF(t *testing.T) {
	requireTruncatedPrefixes(t, []byte{0x21, 0x04, 0x45, 0x00, 0x00, 0x14})
	// Without a length every prefix is a shorter, complete packet.
	data := []byte{0x20, 0x45, 0x00, 0x00, 0x14}
	for i := 1; i <= len(data); i++ {
		requireParse(t, data[:i], &IPFrame{Packet: data[1:i]}, i)
	}
}

func TestWriteIPFrame(t *testing.T) {
	requireAppend(t, &IPFrame{Packet: []byte{0x45, 0x00, 0x01}}, []byte{0x20, 0x45, 0x00, 0x01})
	requireAppend(t, &IPFrame{Packet: []byte{0x45, 0x00, 0x01}, LengthPresent: true}, []byte{0x21, 0x03, 0x45, 0x00, 0x01})
	requireAppend(t, &IPFrame{LengthPresent: true}, []byte{0x21, 0x00})
	pkt := make([]byte, 1400)
	requireAppend(t, &IPFrame{Packet: pkt, LengthPresent: true}, cat([]byte{0x21, 0xf8, 0x0a}, pkt))
}

func BenchmarkParseIPFrame(b *testing.B) {
	data, err := (&IPFrame{Packet: make([]byte, 1400)}).Append(nil)
	require.NoError(b, err)
	p := NewFrameParser()
	// No SetBytes: parsing aliases the packet and never reads it.
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := p.ParseNext(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendIPFrame(b *testing.B) {
	f := &IPFrame{Packet: make([]byte, 1400)}
	buf := make([]byte, 0, 1500)
	b.SetBytes(1400)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = f.Append(buf[:0])
	}
}
