package wire

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// oneOfEach returns one frame of every type, to-the-end frames last.
func oneOfEach() []Frame {
	return []Frame{
		&PingFrame{},
		&AckFrame{AckRanges: []AckRange{{991, 1000}, {980, 988}}, DelayTime: 300 * time.Microsecond},
		&ResetStreamFrame{StreamID: 0x1337, ErrorCode: 0x42, FinalSize: 0xcafe},
		&StopSendingFrame{StreamID: 0x42, ErrorCode: 0x1337},
		&StreamFrame{StreamID: 0x42, Offset: 0x1337, Data: []byte("foobar"), Fin: true, DataLenPresent: true, OffsetPresent: true},
		&StreamFrame{StreamID: 4, Data: []byte{}, Fin: true, DataLenPresent: true},
		&MaxDataFrame{Maximum: 0xcafe},
		&MaxStreamDataFrame{StreamID: 0xdead, Maximum: 0xbeef},
		&MaxStreamsFrame{Maximum: 100},
		&DataBlockedFrame{Limit: 0x1234},
		&StreamDataBlockedFrame{StreamID: 0xdead, Limit: 0xbeef},
		&StreamsBlockedFrame{Limit: 0x42},
		&PathChallengeFrame{Data: [8]byte{1, 2, 3, 4, 5, 6, 7, 8}},
		&PathResponseFrame{Data: [8]byte{8, 7, 6, 5, 4, 3, 2, 1}},
		&CloseFrame{ErrorCode: 0x42, Reason: "foobar"},
		&IPFrame{Packet: []byte{0x45, 0, 0, 20}, LengthPresent: true},
		&DatagramFrame{Data: []byte("datagram"), LengthPresent: true},
		&ApplicationFrame{Type: 0x85, Data: []byte("app")},
		&ApplicationFrame{Type: 0xff, Data: []byte{}},
		&IPFrame{Packet: []byte{0x60, 0, 0, 0}},
	}
}

// Every frame type survives Append then ParseNext, in one plaintext.
func TestFrameParserAllFrames(t *testing.T) {
	frames := oneOfEach()
	data, err := AppendFrames(nil, frames...)
	require.NoError(t, err)
	p := NewFrameParser()
	for i, want := range frames {
		n, f, err := p.ParseNext(data)
		require.NoError(t, err, "frame %d", i)
		require.Equal(t, want, f, "frame %d", i)
		require.Equal(t, want.Length(), n, "frame %d", i)
		data = data[n:]
	}
	require.Empty(t, data)
	n, f, err := p.ParseNext(data)
	require.NoError(t, err)
	require.Nil(t, f)
	require.Zero(t, n)
}

func TestFrameParserPadding(t *testing.T) {
	p := NewFrameParser()
	data := []byte{0x00, 0x00, 0x00, 0x01, 0x00, 0x10, 0x05, 0x00, 0x00}
	n, f, err := p.ParseNext(data)
	require.NoError(t, err)
	require.Equal(t, &PingFrame{}, f)
	require.Equal(t, 4, n, "padding before the frame is consumed with it")
	data = data[n:]
	n, f, err = p.ParseNext(data)
	require.NoError(t, err)
	require.Equal(t, &MaxDataFrame{Maximum: 5}, f)
	require.Equal(t, 3, n)
	data = data[n:]

	for _, tail := range [][]byte{data, {}, nil, make([]byte, 1500)} {
		n, f, err = p.ParseNext(tail)
		require.NoError(t, err)
		require.Nil(t, f)
		require.Zero(t, n)
	}
}

func TestFrameParserUnknownFrames(t *testing.T) {
	known := map[FrameType]bool{}
	for _, f := range oneOfEach() {
		b, err := f.Append(nil)
		require.NoError(t, err)
		known[FrameType(b[0])] = true
	}
	known[FrameTypePadding] = true
	known[FrameTypeIP] = true
	known[FrameTypeIPLen] = true
	known[FrameTypeDatagram] = true
	unknown := 0
	for typ := FrameType(0); typ < FrameTypeApplicationMin; typ++ {
		if known[typ] || typ.IsStream() {
			continue
		}
		unknown++
		// Whatever follows, the type alone invalidates the packet.
		requireParseError(t, []byte{byte(typ), 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, ErrUnknownFrame)
	}
	require.Equal(t, 128-18-8, unknown, "all types below 0x80 but the 18 others of §5 and the 8 STREAM types")
}

func TestFrameError(t *testing.T) {
	_, _, err := NewFrameParser().ParseNext([]byte{0x02, 0x64, 0x00})
	require.EqualError(t, err, "wire: ACK frame: Range Count: truncated")
	var fe *FrameError
	require.ErrorAs(t, err, &fe)
	require.Equal(t, FrameTypeAck, fe.Type)
	require.Equal(t, "Range Count", fe.Reason)
	require.ErrorIs(t, fe, ErrTruncated)

	_, _, err = NewFrameParser().ParseNext([]byte{0x03})
	require.EqualError(t, err, "wire: unknown(0x03) frame: unknown frame type")
}

func TestFrameTypeString(t *testing.T) {
	for typ, want := range map[FrameType]string{
		FrameTypePadding:        "PADDING",
		FrameTypeAck:            "ACK",
		FrameTypeStream:         "STREAM(0x08)",
		0x0f:                    "STREAM(0x0f)",
		FrameTypeDatagramLen:    "DATAGRAM_LEN",
		FrameTypeApplicationMin: "APPLICATION(0x80)",
		0x13:                    "unknown(0x13)",
		0x7f:                    "unknown(0x7f)",
	} {
		require.Equal(t, want, typ.String())
	}
}

func TestAppendFrames(t *testing.T) {
	prefix := []byte{0xee}
	b, err := AppendFrames(prefix, &PingFrame{}, &IPFrame{Packet: []byte{1, 2}})
	require.NoError(t, err)
	require.Equal(t, []byte{0xee, 0x01, 0x20, 1, 2}, b)

	for _, toTheEnd := range []Frame{
		&IPFrame{Packet: []byte{1}},
		&DatagramFrame{Data: []byte{1}},
		&StreamFrame{Data: []byte{1}},
	} {
		b, err := AppendFrames(prefix, toTheEnd, &PingFrame{})
		require.ErrorIs(t, err, ErrInvalidFrame, "%T", toTheEnd)
		require.Equal(t, prefix, b)
	}
	b, err = AppendFrames(prefix, &PingFrame{}, &MaxDataFrame{Maximum: MaxVarint62 + 1})
	require.ErrorIs(t, err, ErrInvalidFrame)
	require.Equal(t, prefix, b, "a failing frame leaves the buffer as it was")
}

func TestFrameParserAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	for _, tt := range []struct {
		name   string
		frames []Frame
	}{
		{"IP", []Frame{&IPFrame{Packet: make([]byte, 1400), LengthPresent: true}, &IPFrame{Packet: make([]byte, 1400)}}},
		{"DATAGRAM", []Frame{&DatagramFrame{Data: make([]byte, 300), LengthPresent: true}, &DatagramFrame{Data: make([]byte, 100)}}},
		{"STREAM", []Frame{
			&StreamFrame{StreamID: 1337, Offset: 1e7, Data: make([]byte, 200), DataLenPresent: true},
			&StreamFrame{StreamID: 1338, Data: make([]byte, 800), Fin: true},
		}},
		{"ACK", []Frame{ackWith3Ranges(), &AckFrame{AckRanges: make([]AckRange, 1)}}},
		{"APPLICATION", []Frame{&ApplicationFrame{Type: 0x80, Data: make([]byte, 100)}, &ApplicationFrame{Type: 0xfe}}},
		{"PING and PADDING", []Frame{&PingFrame{}, &PingFrame{}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			data, err := AppendFrames([]byte{0, 0}, tt.frames...)
			require.NoError(t, err)
			p := NewFrameParser()
			allocs := testing.AllocsPerRun(100, func() {
				b := data
				for {
					n, f, err := p.ParseNext(b)
					if err != nil || f == nil {
						break
					}
					b = b[n:]
				}
			})
			require.Zero(t, allocs)
		})
	}
}

// A big ACK grows the parser's storage once; after that ACKs cost nothing.
func TestFrameParserAllocsLargeAck(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	f := &AckFrame{}
	for i := range MaxAckRanges {
		pn := PacketNumber(100000 - 3*i)
		f.AckRanges = append(f.AckRanges, AckRange{pn - 1, pn})
	}
	data, err := f.Append(nil)
	require.NoError(t, err)
	p := NewFrameParser()
	allocs := testing.AllocsPerRun(100, func() { _, _, _ = p.ParseNext(data) })
	require.Zero(t, allocs)
}

func FuzzFrames(f *testing.F) {
	for _, fr := range oneOfEach() {
		b, err := fr.Append(nil)
		require.NoError(f, err)
		f.Add(b)
	}
	all, err := AppendFrames([]byte{0x00}, oneOfEach()...)
	require.NoError(f, err)
	f.Add(all)

	f.Fuzz(func(t *testing.T, data []byte) {
		p := NewFrameParser()
		b := data
		for {
			n, fr, err := p.ParseNext(b)
			if err != nil {
				require.Zero(t, n)
				require.Nil(t, fr)
				var fe *FrameError
				require.ErrorAs(t, err, &fe)
				return
			}
			if fr == nil {
				require.Zero(t, n)
				require.Empty(t, bytes.Trim(b, "\x00"), "only padding is left")
				return
			}
			require.Positive(t, n)
			require.LessOrEqual(t, n, len(b))
			// Strip the padding before the frame; what is left re-appends
			// to the same bytes.
			raw := bytes.TrimLeft(b[:n], "\x00")
			got, err := fr.Append(nil)
			require.NoError(t, err)
			require.Equal(t, raw, got, "%T", fr)
			require.Equal(t, len(got), fr.Length(), "%T", fr)
			if _, toEnd := extendsToEnd(fr); toEnd {
				require.Equal(t, len(b), n, "%T without a length ends the plaintext", fr)
			}
			b = b[n:]
		}
	})
}
