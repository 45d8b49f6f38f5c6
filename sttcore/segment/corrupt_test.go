package segment

import (
	"bytes"
	"io"
	"runtime"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/sttcore/varint"
)

// corruptFixture is a small stream of three data segments whose layout the
// tests know byte for byte.
type corruptFixture struct {
	stream  []byte
	payload []byte
	hdrLen  int      // header segment: length prefix and map
	data    [][2]int // [start, end) of each data segment's bytes
	end     int      // offset of the end marker's zero length
}

func newCorruptFixture(t *testing.T, key []byte) corruptFixture {
	const chunk = 16
	payload := randomBytes(40, 3)
	h := Header{Name: "f", Size: int64(len(payload)), Chunk: chunk}
	stream := encode(t, h, payload, 0, Options{Key: key, ChunkSize: chunk})
	hdr, err := appendHeader(nil, h)
	require.NoError(t, err)
	f := corruptFixture{stream: stream, payload: payload, hdrLen: len(hdr)}
	off := len(hdr)
	for p := payload; len(p) > 0; {
		n := min(chunk, len(p))
		f.data = append(f.data, [2]int{off + 1, off + 1 + n})
		off += 1 + n
		p = p[n:]
	}
	f.end = off
	require.Len(t, stream, off+1+SumSize)
	return f
}

// TestFlippedByte flips every bit of every byte in turn: no altered stream
// decodes, and an altered data byte or sum is reported as ErrIntegrity.
func TestFlippedByte(t *testing.T) {
	key := []byte("a per-transfer key")
	f := newCorruptFixture(t, key)
	isData := func(i int) bool {
		for _, d := range f.data {
			if i >= d[0] && i < d[1] {
				return true
			}
		}
		return false
	}
	for i := range f.stream {
		for bit := range 8 {
			b := bytes.Clone(f.stream)
			b[i] ^= 1 << bit
			_, _, err := decode(bytes.NewReader(b), Options{Key: key})
			var fe *FormatError
			require.ErrorAs(t, err, &fe, "byte %d bit %d", i, bit)
			require.GreaterOrEqual(t, fe.Offset, int64(0))
			require.LessOrEqual(t, fe.Offset, int64(len(b)))
			if isData(i) || i > f.end {
				require.ErrorIs(t, err, ErrIntegrity, "byte %d bit %d", i, bit)
				require.Equal(t, int64(f.end+1), fe.Offset)
			}
		}
	}
}

// TestTruncated cuts the stream at every offset (every segment boundary and
// inside every segment): each prefix fails with io.ErrUnexpectedEOF at the
// offset of the cut, through readers of every kind.
func TestTruncated(t *testing.T) {
	f := newCorruptFixture(t, nil)
	boundaries := map[int]bool{0: true, f.hdrLen: true, f.end: true, f.end + 1: true}
	for _, d := range f.data {
		boundaries[d[0]-1] = true
	}
	readers := map[string]func(io.Reader) io.Reader{
		"bytes.Reader":  func(r io.Reader) io.Reader { return r },
		"plain":         func(r io.Reader) io.Reader { return struct{ io.Reader }{r} },
		"one byte":      iotest.OneByteReader,
		"data with EOF": iotest.DataErrReader,
	}
	for name, wrap := range readers {
		t.Run(name, func(t *testing.T) {
			seen := 0
			for cut := range len(f.stream) {
				_, got, err := decode(wrap(bytes.NewReader(f.stream[:cut])), Options{})
				fe := requireFormatError(t, err, io.ErrUnexpectedEOF)
				require.Equal(t, int64(cut), fe.Offset, "cut at %d", cut)
				require.Equal(t, string(f.payload[:len(got)]), string(got), "what was read is a prefix")
				if boundaries[cut] {
					seen++
				}
			}
			require.Equal(t, len(boundaries), seen, "every segment boundary was cut")
			_, got, err := decode(wrap(bytes.NewReader(f.stream)), Options{})
			require.NoError(t, err)
			require.Equal(t, f.payload, got)
		})
	}
}

func TestWrongKey(t *testing.T) {
	payload := []byte("the payload")
	tests := []struct {
		name          string
		send, receive []byte
	}{
		{"different keys", []byte("key one"), []byte("key two")},
		{"keyed, read unkeyed", []byte("key"), nil},
		{"unkeyed, read keyed", nil, []byte("key")},
		{"key prefix", bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{1}, 31)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stream := encode(t, Header{Name: "n", Size: int64(len(payload))}, payload, 0, Options{Key: tt.send})
			_, _, err := decode(bytes.NewReader(stream), Options{Key: tt.receive})
			fe := requireFormatError(t, err, ErrIntegrity)
			require.Equal(t, int64(len(stream)-SumSize), fe.Offset)
		})
	}
}

// TestBadSegments covers lengths and sizes the decoder must refuse, each
// with the error it must give.
func TestBadSegments(t *testing.T) {
	h := Header{Name: "n", Size: 10, Chunk: 4}
	live := Header{Name: "n", Size: UnknownSize, Chunk: 4}
	hdr, err := appendHeader(nil, h)
	require.NoError(t, err)
	liveHdr, err := appendHeader(nil, live)
	require.NoError(t, err)
	withLength := func(n uint64) []byte { return varint.Append(bytes.Clone(hdr), n) }
	hugeHeader := varint.Append(nil, 1<<40)
	bigHeader := varint.Append(nil, MaxHeaderSize+1)

	tests := []struct {
		name   string
		stream []byte
		opts   Options
		want   error
		offset int64
	}{
		{"segment above the chunk", withLength(5), Options{}, ErrSegmentTooLarge, int64(len(hdr))},
		{"segment of 2^62 bytes", withLength(1 << 62), Options{}, ErrSegmentTooLarge, int64(len(hdr))},
		{"segment of 2^64-1 bytes", withLength(1<<64 - 1), Options{}, ErrSegmentTooLarge, int64(len(hdr))},
		{"length overflows", append(bytes.Clone(hdr), bytes.Repeat([]byte{0xff}, 10)...), Options{}, varint.ErrOverflow, int64(len(hdr))},
		{"length not minimal", append(bytes.Clone(hdr), 0x81, 0x00), Options{}, varint.ErrNonMinimal, int64(len(hdr))},
		{"header of 2^40 bytes", hugeHeader, Options{}, ErrSegmentTooLarge, 0},
		{"header above MaxHeaderSize", bigHeader, Options{}, ErrSegmentTooLarge, 0},
		{"more than declared", rawStream(t, h, nil, []byte("1234"), []byte("5678"), []byte("9ab")), Options{}, ErrSizeMismatch, int64(len(hdr) + 10)},
		{"less than declared", rawStream(t, h, nil, []byte("1234"), []byte("5")), Options{}, ErrSizeMismatch, int64(len(hdr) + 7)},
		{"nothing of 10 declared", rawStream(t, h, nil), Options{}, ErrSizeMismatch, int64(len(hdr))},
		{"declared above MaxSize", rawStream(t, h, nil), Options{MaxSize: 9}, ErrTooLarge, 1},
		{"live past MaxSize", rawStream(t, live, nil, []byte("1234"), []byte("567")), Options{MaxSize: 6}, ErrTooLarge, int64(len(liveHdr) + 5)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := decode(bytes.NewReader(tt.stream), tt.opts)
			fe := requireFormatError(t, err, tt.want)
			require.Equal(t, tt.offset, fe.Offset)
		})
	}

	// A live stream up to MaxSize passes.
	_, got, err := decode(bytes.NewReader(rawStream(t, live, nil, []byte("1234"), []byte("56"))), Options{MaxSize: 6})
	require.NoError(t, err)
	require.Equal(t, "123456", string(got))
}

// TestNoHugeAllocation checks that lengths claiming gigabytes cost no memory.
func TestNoHugeAllocation(t *testing.T) {
	h := Header{Name: "n", Size: UnknownSize, Chunk: MaxChunkSize}
	hdr, err := appendHeader(nil, h)
	require.NoError(t, err)
	inputs := [][]byte{
		varint.Append(nil, 1<<40),               // header length
		varint.Append(bytes.Clone(hdr), 1<<40),  // segment length
		varint.Append(bytes.Clone(hdr), 1<<20),  // a whole chunk, not there
		varint.Append(nil, MaxHeaderSize+1<<20), // header length
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 20 {
		for _, in := range inputs {
			_, _, err := decode(bytes.NewReader(in), Options{})
			require.Error(t, err)
		}
	}
	runtime.ReadMemStats(&after)
	require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(4<<20), "80 decodes of huge claims allocated this much")
}

func TestBadHeaders(t *testing.T) {
	seg := func(body string) []byte {
		return append(varint.Append(nil, uint64(len(body))), body...)
	}
	tests := []struct {
		name   string
		stream []byte
		want   error
	}{
		{"empty header", []byte{0}, ErrHeader},
		{"not a map", seg("\x07\x01x"), ErrHeader},
		{"no version", seg("\x09\x02\x05chunk\x03\x04\x04name\x07\x01v"), ErrHeader},
		{"version 2", seg("\x09\x03\x05chunk\x03\x04\x04name\x07\x01v\x07version\x03\x02"), ErrHeader},
		{"no name", seg("\x09\x02\x05chunk\x03\x04\x07version\x03\x01"), ErrHeader},
		{"no chunk", seg("\x09\x02\x04name\x07\x01v\x07version\x03\x01"), ErrHeader},
		{"chunk 0", seg("\x09\x03\x05chunk\x03\x00\x04name\x07\x01v\x07version\x03\x01"), ErrHeader},
		{"chunk 2 MiB", seg("\x09\x03\x05chunk\x03\x80\x80\x80\x01\x04name\x07\x01v\x07version\x03\x01"), ErrHeader},
		{"name not a string", seg("\x09\x03\x05chunk\x03\x04\x04name\x06\x01v\x07version\x03\x01"), ErrHeader},
		{"size signed", seg("\x09\x04\x05chunk\x03\x04\x04name\x07\x01v\x04size\x04\x02\x07version\x03\x01"), ErrHeader},
		{"size above int64", seg("\x09\x04\x05chunk\x03\x04\x04name\x07\x01v\x04size\x03\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01\x07version\x03\x01"), ErrHeader},
		{"type not a string", seg("\x09\x04\x05chunk\x03\x04\x04name\x07\x01v\x04type\x01\x07version\x03\x01"), ErrHeader},
		{"keys unsorted", seg("\x09\x03\x04name\x07\x01v\x05chunk\x03\x04\x07version\x03\x01"), ErrHeader},
		{"trailing byte", seg("\x09\x03\x05chunk\x03\x04\x04name\x07\x01v\x07version\x03\x01\x00"), ErrHeader},
		{"header cut short", seg("\x09\x03\x05chunk\x03\x04\x04name\x07\x01v\x07version\x03\x01")[:10], io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := NewDecoder(bytes.NewReader(tt.stream), Options{})
			requireFormatError(t, err, tt.want)
			require.Nil(t, d)
		})
	}
	// The valid header these were made from.
	d, err := NewDecoder(bytes.NewReader(seg("\x09\x03\x05chunk\x03\x04\x04name\x07\x01v\x07version\x03\x01")), Options{})
	require.NoError(t, err)
	require.Equal(t, Header{Name: "v", Size: UnknownSize, Chunk: 4}, d.Header())
}

// TestErrorIsSticky checks that a Decoder keeps returning its first error.
func TestErrorIsSticky(t *testing.T) {
	f := newCorruptFixture(t, nil)
	b := bytes.Clone(f.stream)
	b[f.data[1][0]] ^= 1
	d, err := NewDecoder(bytes.NewReader(b), Options{})
	require.NoError(t, err)
	_, err = io.ReadAll(d)
	requireFormatError(t, err, ErrIntegrity)
	_, again := d.Read(make([]byte, 1))
	require.Equal(t, err, again)
	_, ok := d.Sum()
	require.False(t, ok)
}
