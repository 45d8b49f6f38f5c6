package wire

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseStreamFrame(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want *StreamFrame
		n    int
		err  error
	}{
		{
			name: "no flags: data to the end",
			data: []byte{0x08, 0x42, 'f', 'o', 'o'},
			want: &StreamFrame{StreamID: 0x42, Data: []byte("foo")},
			n:    5,
		},
		{
			name: "all flags",
			data: []byte{0x0f, 0xb7, 0x26, 0xfe, 0x95, 0x03, 0x03, 'f', 'o', 'o', 0xaa},
			want: &StreamFrame{StreamID: 0x1337, Offset: 0xcafe, Data: []byte("foo"), Fin: true, DataLenPresent: true, OffsetPresent: true},
			n:    10,
		},
		{
			name: "FIN without data",
			data: []byte{0x09, 0x04},
			want: &StreamFrame{StreamID: 4, Data: []byte{}, Fin: true},
			n:    2,
		},
		{
			name: "explicit zero offset",
			data: []byte{0x0c, 0x01, 0x00, 'x'},
			want: &StreamFrame{StreamID: 1, Data: []byte("x"), OffsetPresent: true},
			n:    4,
		},
		{
			name: "length, no offset",
			data: []byte{0x0a, 0x00, 0x01, 'x', 'y'},
			want: &StreamFrame{Data: []byte("x"), DataLenPresent: true},
			n:    4,
		},
		{
			name: "largest offset, no data",
			data: cat([]byte{0x0e, 0x00}, v62Max, []byte{0x00}),
			want: &StreamFrame{Offset: MaxVarint62, Data: []byte{}, DataLenPresent: true, OffsetPresent: true},
			n:    12,
		},
		{"stream ID 2^62", cat([]byte{0x08}, v62), nil, 0, ErrInvalidFrame},
		{"offset 2^62", cat([]byte{0x0c, 0x00}, v62), nil, 0, ErrInvalidFrame},
		{"offset plus length 2^62", cat([]byte{0x0e, 0x00}, v62Max, []byte{0x01, 'x'}), nil, 0, ErrInvalidFrame},
		{"offset plus data to the end 2^62", cat([]byte{0x0c, 0x00}, v62Max, []byte{'x'}), nil, 0, ErrInvalidFrame},
		{"length overruns", []byte{0x0a, 0x00, 0x05, 'a'}, nil, 0, ErrTruncated},
		{"non-minimal stream ID", []byte{0x08, 0x80, 0x00}, nil, 0, ErrNonMinimal},
		{"non-minimal offset", []byte{0x0c, 0x00, 0x80, 0x00}, nil, 0, ErrNonMinimal},
		{"non-minimal length", []byte{0x0a, 0x00, 0x80, 0x00}, nil, 0, ErrNonMinimal},
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

func TestParseStreamFrameAliases(t *testing.T) {
	data := []byte{0x0a, 0x00, 0x02, 'x', 'y', 0x01}
	f, _ := parseOne(t, data)
	s := f.(*StreamFrame)
	require.Same(t, &data[3], &s.Data[0])
	require.Equal(t, 2, cap(s.Data))
}

func TestParseStreamFrameErrorsOnEOF(t *testing.T) {
	requireTruncatedPrefixes(t, []byte{0x0f, 0xb7, 0x26, 0xfe, 0x95, 0x03, 0x06, 'f', 'o', 'o', 'b', 'a', 'r'})
	requireTruncatedPrefixes(t, []byte{0x0b, 0xb7, 0x26, 0x03, 'f', 'o', 'o'})
	// Without a length the data ends with the plaintext: a cut in the data
	// is shorter data, a cut in a varint is truncated.
	requireTruncatedPrefixes(t, []byte{0x0c, 0xb7, 0x26, 0xfe, 0x95, 0x03})
}

func TestWriteStreamFrame(t *testing.T) {
	tests := []struct {
		name  string
		frame *StreamFrame
		want  []byte
	}{
		{"no offset, no length", &StreamFrame{StreamID: 0x42, Data: []byte("foo")}, []byte{0x08, 0x42, 'f', 'o', 'o'}},
		{"everything", &StreamFrame{StreamID: 0x1337, Offset: 0xcafe, Data: []byte("foo"), Fin: true, DataLenPresent: true},
			[]byte{0x0f, 0xb7, 0x26, 0xfe, 0x95, 0x03, 0x03, 'f', 'o', 'o'}},
		{"zero offset omitted", &StreamFrame{StreamID: 1, Data: []byte("x"), DataLenPresent: true}, []byte{0x0a, 0x01, 0x01, 'x'}},
		{"zero offset forced", &StreamFrame{StreamID: 1, Data: []byte("x"), OffsetPresent: true}, []byte{0x0c, 0x01, 0x00, 'x'}},
		{"FIN only", &StreamFrame{StreamID: 4, Offset: 300, Fin: true}, []byte{0x0d, 0x04, 0xac, 0x02}},
		{"empty", &StreamFrame{StreamID: 4}, []byte{0x08, 0x04}},
		{"largest offset", &StreamFrame{Offset: MaxVarint62, DataLenPresent: true}, cat([]byte{0x0e, 0x00}, v62Max, []byte{0x00})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requireAppend(t, tt.frame, tt.want)
			require.Equal(t, FrameType(tt.want[0]), tt.frame.Type())
		})
	}
}

func TestWriteStreamFrameErrors(t *testing.T) {
	requireAppendError(t, &StreamFrame{StreamID: MaxVarint62 + 1}, ErrInvalidFrame)
	requireAppendError(t, &StreamFrame{Offset: MaxVarint62 + 1}, ErrInvalidFrame)
	requireAppendError(t, &StreamFrame{Offset: MaxVarint62, Data: []byte("x")}, ErrInvalidFrame)
}

// MaxDataLen is exact: the data it allows fits in maxSize, one byte more
// does not. It is checked for every size up to past the 2- and 3-byte
// length thresholds.
func TestStreamFrameMaxDataLen(t *testing.T) {
	data := make([]byte, 20000)
	for _, tmpl := range []StreamFrame{
		{StreamID: 0x1337},
		{StreamID: 0x1337, DataLenPresent: true},
		{StreamID: 1, Offset: 1 << 40, DataLenPresent: true},
		{StreamID: 1, OffsetPresent: true, DataLenPresent: true, Fin: true},
	} {
		hdr := (&StreamFrame{StreamID: tmpl.StreamID, Offset: tmpl.Offset, OffsetPresent: tmpl.OffsetPresent}).Length()
		for size := 1; size < 17000; size++ {
			f := tmpl
			n := f.MaxDataLen(size)
			if size <= hdr {
				require.Zero(t, n, "size %d", size)
				continue
			}
			f.Data = data[:n]
			require.LessOrEqual(t, f.Length(), size, "%+v size %d", tmpl, size)
			f.Data = data[:n+1]
			require.Greater(t, f.Length(), size, "%+v size %d: %d bytes of data is not the most", tmpl, size, n)
		}
	}
}

func FuzzStreamFrame(f *testing.F) {
	for _, fr := range []*StreamFrame{
		{StreamID: 0x42, Data: []byte("foo")},
		{StreamID: 0x1337, Offset: 0xcafe, Data: []byte("foobar"), Fin: true, DataLenPresent: true},
		{StreamID: 4, Fin: true, OffsetPresent: true},
		{Offset: MaxVarint62 - 3, Data: []byte("abc"), DataLenPresent: true},
	} {
		b, err := fr.Append(nil)
		require.NoError(f, err)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 {
			return
		}
		typ := FrameTypeStream | FrameType(b[0]&0x07)
		var fr StreamFrame
		n, err := parseStreamFrame(&fr, typ, b[1:])
		if err != nil {
			require.Zero(t, n)
			var fe *FrameError
			require.ErrorAs(t, err, &fe)
			return
		}
		require.LessOrEqual(t, n, len(b)-1)
		if typ&streamFlagLen == 0 {
			require.Equal(t, len(b)-1, n, "data without length runs to the end")
		}
		require.LessOrEqual(t, uint64(fr.StreamID), uint64(MaxVarint62))
		require.LessOrEqual(t, uint64(fr.Offset)+uint64(len(fr.Data)), uint64(MaxVarint62))
		want := append([]byte{byte(typ)}, b[1:1+n]...)
		got, err := fr.Append(nil)
		require.NoError(t, err)
		require.Equal(t, want, got)
		require.Equal(t, len(got), fr.Length())
		require.GreaterOrEqual(t, fr.MaxDataLen(fr.Length()), fr.DataLen())
	})
}

func BenchmarkParseStreamFrame(b *testing.B) {
	data, err := (&StreamFrame{StreamID: 1337, Offset: 1e7, Data: make([]byte, 1200), DataLenPresent: true}).Append(nil)
	require.NoError(b, err)
	p := NewFrameParser()
	// No SetBytes: parsing aliases the data and never reads it.
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := p.ParseNext(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendStreamFrame(b *testing.B) {
	f := &StreamFrame{StreamID: 1337, Offset: 1e7, Data: make([]byte, 1200), DataLenPresent: true}
	buf := make([]byte, 0, 1500)
	b.SetBytes(1200)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = f.Append(buf[:0])
	}
}
