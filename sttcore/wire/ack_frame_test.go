package wire

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseAckFrame(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want *AckFrame
		n    int
		err  error
	}{
		{
			name: "one range",
			data: []byte{0x02, 0x64, 0xac, 0x02, 0x00, 0x0a, 0xaa},
			want: &AckFrame{AckRanges: []AckRange{{90, 100}}, DelayTime: 300 * time.Microsecond},
			n:    6,
		},
		{
			name: "three ranges",
			// Largest 1000, Delay 0, 2 more ranges, First 9 → 991–1000;
			// Gap 1, Length 8 → 980–988; Gap 0, Length 78 → 900–978.
			data: []byte{0x02, 0xe8, 0x07, 0x00, 0x02, 0x09, 0x01, 0x08, 0x00, 0x4e},
			want: &AckFrame{AckRanges: []AckRange{{991, 1000}, {980, 988}, {900, 978}}},
			n:    10,
		},
		{
			name: "down to zero",
			// 10 alone, then Gap 8 → largest 0, Length 0.
			data: []byte{0x02, 0x0a, 0x00, 0x01, 0x00, 0x08, 0x00},
			want: &AckFrame{AckRanges: []AckRange{{10, 10}, {0, 0}}},
			n:    7,
		},
		{
			name: "largest packet number",
			data: cat([]byte{0x02}, vMax, []byte{0x00, 0x00, 0x00}),
			want: &AckFrame{AckRanges: []AckRange{{1<<64 - 1, 1<<64 - 1}}},
			n:    14,
		},
		{
			name: "largest delay",
			data: []byte{0x02, 0x00, 0xf7, 0xa7, 0x8d, 0xaf, 0xba, 0x93, 0xb1, 0x10, 0x00, 0x00},
			want: &AckFrame{AckRanges: []AckRange{{0, 0}}, DelayTime: MaxAckDelay},
			n:    12,
		},
		{"delay overflows a Duration", []byte{0x02, 0x00, 0xf8, 0xa7, 0x8d, 0xaf, 0xba, 0x93, 0xb1, 0x10, 0x00, 0x00}, nil, 0, ErrInvalidFrame},
		{"first range below zero", []byte{0x02, 0x05, 0x00, 0x00, 0x06}, nil, 0, ErrInvalidFrame},
		{"gap below zero", []byte{0x02, 0x0a, 0x00, 0x01, 0x00, 0x09, 0x00}, nil, 0, ErrInvalidFrame},
		{"huge gap", cat([]byte{0x02, 0x0a, 0x00, 0x01, 0x00}, vMax, []byte{0x00}), nil, 0, ErrInvalidFrame},
		{"range below zero", []byte{0x02, 0x0a, 0x00, 0x01, 0x00, 0x08, 0x01}, nil, 0, ErrInvalidFrame},
		{"range after zero", []byte{0x02, 0x05, 0x00, 0x01, 0x05, 0x00, 0x00}, nil, 0, ErrInvalidFrame},
		{"256 more ranges", []byte{0x02, 0x64, 0x00, 0x80, 0x02, 0x00}, nil, 0, ErrInvalidFrame},
		{"non-minimal largest", []byte{0x02, 0x80, 0x00, 0x00, 0x00, 0x00}, nil, 0, ErrNonMinimal},
		{"non-minimal length", []byte{0x02, 0x64, 0x00, 0x01, 0x00, 0x00, 0x80, 0x00}, nil, 0, ErrNonMinimal},
		{"range count larger than the ranges", []byte{0x02, 0x64, 0x00, 0x03, 0x00, 0x00, 0x00}, nil, 0, ErrTruncated},
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

func TestParseAckFrameMaxRanges(t *testing.T) {
	f := &AckFrame{}
	for i := range MaxAckRanges {
		pn := PacketNumber(10000 - 3*i)
		f.AckRanges = append(f.AckRanges, AckRange{pn - 1, pn})
	}
	data, err := f.Append(nil)
	require.NoError(t, err)
	requireParse(t, data, f, len(data))

	f.AckRanges = append(f.AckRanges, AckRange{1, 1})
	requireAppendError(t, f, ErrInvalidFrame)
}

func TestParseAckFrameErrorsOnEOF(t *testing.T) {
	requireTruncatedPrefixes(t, []byte{0x02, 0xe8, 0x07, 0xac, 0x02, 0x02, 0x09, 0x01, 0x08, 0x00, 0x4e})
}

// The parser reuses its ACK frame: a second ACK shows none of the first.
func TestParseAckFrameReuse(t *testing.T) {
	p := NewFrameParser()
	_, f, err := p.ParseNext([]byte{0x02, 0xe8, 0x07, 0x05, 0x02, 0x09, 0x01, 0x08, 0x00, 0x4e})
	require.NoError(t, err)
	require.Len(t, f.(*AckFrame).AckRanges, 3)
	_, f2, err := p.ParseNext([]byte{0x02, 0x64, 0x00, 0x00, 0x0a})
	require.NoError(t, err)
	require.Same(t, f, f2)
	require.Equal(t, &AckFrame{AckRanges: []AckRange{{90, 100}}}, f2)
}

func TestWriteAckFrame(t *testing.T) {
	requireAppend(t, &AckFrame{AckRanges: []AckRange{{991, 1000}, {980, 988}, {900, 978}}, DelayTime: 300 * time.Microsecond},
		[]byte{0x02, 0xe8, 0x07, 0xac, 0x02, 0x02, 0x09, 0x01, 0x08, 0x00, 0x4e})
	requireAppend(t, &AckFrame{AckRanges: []AckRange{{0, 0}}}, []byte{0x02, 0x00, 0x00, 0x00, 0x00})
	// The delay is sent in whole microseconds.
	requireAppend(t, &AckFrame{AckRanges: []AckRange{{5, 5}}, DelayTime: 1999 * time.Nanosecond}, []byte{0x02, 0x05, 0x01, 0x00, 0x00})
}

func TestWriteAckFrameErrors(t *testing.T) {
	tests := []struct {
		name  string
		frame *AckFrame
	}{
		{"no ranges", &AckFrame{}},
		{"smallest above largest", &AckFrame{AckRanges: []AckRange{{5, 4}}}},
		{"adjacent ranges", &AckFrame{AckRanges: []AckRange{{5, 10}, {3, 4}}}},
		{"overlapping ranges", &AckFrame{AckRanges: []AckRange{{5, 10}, {3, 6}}}},
		{"ascending ranges", &AckFrame{AckRanges: []AckRange{{1, 2}, {5, 10}}}},
		{"range below a range at zero", &AckFrame{AckRanges: []AckRange{{0, 2}, {0, 0}}}},
		{"negative delay", &AckFrame{AckRanges: []AckRange{{1, 2}}, DelayTime: -time.Microsecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requireAppendError(t, tt.frame, ErrInvalidFrame)
		})
	}
}

func TestAckFrameAcksPacket(t *testing.T) {
	f := &AckFrame{AckRanges: []AckRange{{991, 1000}, {980, 988}, {900, 978}}}
	require.Equal(t, PacketNumber(1000), f.LargestAcked())
	require.Equal(t, PacketNumber(900), f.LowestAcked())
	for pn := PacketNumber(0); pn < 1100; pn++ {
		want := (pn >= 991 && pn <= 1000) || (pn >= 980 && pn <= 988) || (pn >= 900 && pn <= 978)
		require.Equal(t, want, f.AcksPacket(pn), "packet %d", pn)
	}
	require.Equal(t, uint64(10), f.AckRanges[0].Len())

	ranges := f.AckRanges
	f.Reset()
	require.Empty(t, f.AckRanges)
	require.Equal(t, cap(ranges), cap(f.AckRanges), "Reset keeps the storage")
	require.False(t, f.AcksPacket(0))
	require.Zero(t, f.LargestAcked())
	require.Zero(t, f.LowestAcked())
}

func FuzzAckFrame(f *testing.F) {
	for _, fr := range []*AckFrame{
		{AckRanges: []AckRange{{1, 0x13}}},
		{AckRanges: []AckRange{{991, 1000}, {980, 988}, {900, 978}}, DelayTime: time.Millisecond},
		{AckRanges: []AckRange{{10, 10}, {0, 0}}},
	} {
		b, err := fr.Append(nil)
		require.NoError(f, err)
		f.Add(b[1:])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var fr AckFrame
		n, err := parseAckFrame(&fr, b)
		if err != nil {
			require.Zero(t, n)
			var fe *FrameError
			require.ErrorAs(t, err, &fe)
			return
		}
		require.NoError(t, fr.validate())
		require.LessOrEqual(t, len(fr.AckRanges), MaxAckRanges)
		for i, r := range fr.AckRanges {
			require.True(t, fr.AcksPacket(r.Smallest))
			require.True(t, fr.AcksPacket(r.Largest))
			if i > 0 {
				require.False(t, fr.AcksPacket(r.Largest+1), "the gap above range %d", i)
			}
		}
		got, err := fr.Append(nil)
		require.NoError(t, err)
		require.Equal(t, append([]byte{byte(FrameTypeAck)}, b[:n]...), got)
		require.Equal(t, len(got), fr.Length())
	})
}

func ackWith3Ranges() *AckFrame {
	return &AckFrame{AckRanges: []AckRange{{5000, 5200}, {4000, 4900}, {1, 3000}}, DelayTime: 25 * time.Millisecond}
}

func BenchmarkParseAckFrame(b *testing.B) {
	data, err := ackWith3Ranges().Append(nil)
	require.NoError(b, err)
	p := NewFrameParser()
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := p.ParseNext(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendAckFrame(b *testing.B) {
	f := ackWith3Ranges()
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = f.Append(buf[:0])
	}
}
