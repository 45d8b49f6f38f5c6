package segment

import (
	"fmt"
	"hash"
	"io"

	"github.com/seigr/stt-tun/sttcore/varint"
)

// prefixRoom is the room kept in front of the buffered data for its length
// prefix: the varint of MaxChunkSize takes 3 bytes.
const prefixRoom = 3

// endSize is the length of the end marker: varint(0) and the sum.
const endSize = 1 + SumSize

// An Encoder writes a payload to an io.Writer as a segment stream. It
// buffers at most one chunk: when the chunk is full it is written to w, so
// Write blocks while w blocks, and a slow receiver slows the writer down.
// The header goes out with the first segment (or with the end marker of an
// empty payload); NewEncoder itself does no I/O.
//
// An Encoder is not safe for concurrent use. After an error from w, every
// call returns that error and the end marker is never written, so the
// receiver cannot mistake what it got for the whole payload.
type Encoder struct {
	w    io.Writer
	h    Header
	sum  hash.Hash
	hdr  []byte // the header segment, until it is written
	buf  []byte // [header room | prefixRoom | room data bytes | endSize]
	data int    // offset in buf of the data
	room int    // data capacity: the chunk, or less for a small payload
	n    int    // data bytes buffered

	accepted int64 // payload bytes taken by Write and ReadFrom
	err      error // sticky
	closed   bool
	final    [SumSize]byte
	probe    [1]byte
}

// NewEncoder returns an Encoder that writes the payload described by h to w.
// The chunk size comes from opts.ChunkSize and replaces h.Chunk. It fails
// with ErrChunkSize, ErrKeySize or ErrHeader (a name that is not valid
// UTF-8, or a header longer than MaxHeaderSize).
func NewEncoder(w io.Writer, h Header, opts Options) (*Encoder, error) {
	chunk, err := opts.chunkSize()
	if err != nil {
		return nil, err
	}
	sum, err := opts.newSum()
	if err != nil {
		return nil, err
	}
	h.Chunk = chunk
	if h.Size < 0 {
		h.Size = UnknownSize
	}
	hdr, err := appendHeader(nil, h)
	if err != nil {
		return nil, err
	}
	sum.Write(hdr)
	room := chunk
	if h.Size >= 0 && h.Size < int64(room) {
		room = int(h.Size)
	}
	data := len(hdr) + prefixRoom
	return &Encoder{
		w:    w,
		h:    h,
		sum:  sum,
		hdr:  hdr,
		buf:  make([]byte, data+room+endSize),
		data: data,
		room: room,
	}, nil
}

// Header returns the header the Encoder writes, with Chunk set.
func (e *Encoder) Header() Header { return e.h }

// Written returns the number of payload bytes accepted so far.
func (e *Encoder) Written() int64 { return e.accepted }

// Write buffers p, writing each full chunk to the underlying writer as a
// segment; it blocks while that writer blocks. For a payload of known size,
// writing past the size fails with ErrSizeMismatch (the bytes that fit are
// taken) and the Encoder is then unusable.
func (e *Encoder) Write(p []byte) (int, error) {
	if err := e.check(); err != nil {
		return 0, err
	}
	var over error
	if e.h.Size >= 0 {
		if left := e.h.Size - e.accepted; int64(len(p)) > left {
			p = p[:left]
			over = fmt.Errorf("%w: writing past the declared %d bytes", ErrSizeMismatch, e.h.Size)
		}
	}
	written := 0
	for len(p) > 0 {
		if e.n == e.room {
			if err := e.flush(false); err != nil {
				return written, err
			}
		}
		c := copy(e.buf[e.data+e.n:e.data+e.room], p)
		e.n += c
		p = p[c:]
		written += c
		e.accepted += int64(c)
	}
	if over != nil {
		e.err = over
		return written, over
	}
	return written, nil
}

// ReadFrom reads r until io.EOF straight into the Encoder's buffer, writing
// segments as chunks fill, and returns the number of bytes read. It
// implements io.ReaderFrom, so io.Copy(enc, r) uses it. For a payload of
// known size, r holding more bytes fails with ErrSizeMismatch. An error of r
// is returned as it is and leaves the Encoder usable.
func (e *Encoder) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	for {
		n, err := e.fill(r)
		total += int64(n)
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// fill does one Read of r into the buffer, writing the buffered chunk first
// if it is full. It returns io.EOF when r is exhausted.
func (e *Encoder) fill(r io.Reader) (int, error) {
	if err := e.check(); err != nil {
		return 0, err
	}
	left := int64(-1)
	if e.h.Size >= 0 {
		left = e.h.Size - e.accepted
		if left == 0 {
			// Everything declared has been read: r must be at its end.
			n, err := r.Read(e.probe[:])
			if n > 0 {
				e.err = fmt.Errorf("%w: the source holds more than the declared %d bytes", ErrSizeMismatch, e.h.Size)
				return 0, e.err
			}
			return 0, err
		}
	}
	if e.n == e.room {
		if err := e.flush(false); err != nil {
			return 0, err
		}
	}
	limit := e.room - e.n
	if left >= 0 {
		limit = int(min(int64(limit), left))
	}
	n, err := r.Read(e.buf[e.data+e.n : e.data+e.n+limit])
	e.n += n
	e.accepted += int64(n)
	return n, err
}

// Flush writes the buffered data, if any, as a segment (and the header if it
// has not gone out yet), without waiting for the chunk to fill. A live
// stream flushes to bound latency; each flush costs a segment header.
func (e *Encoder) Flush() error {
	if err := e.check(); err != nil {
		return err
	}
	if e.n == 0 && e.hdr == nil {
		return nil
	}
	return e.flush(false)
}

// Close writes the buffered data and the end marker. It does not close the
// underlying writer. For a payload of known size, Close fails with
// ErrSizeMismatch if fewer bytes were written, and writes no end marker.
// Close is idempotent: later calls return the first call's result.
func (e *Encoder) Close() error {
	if e.err != nil {
		return e.err
	}
	if e.closed {
		return nil
	}
	e.closed = true
	if e.h.Size >= 0 && e.accepted != e.h.Size {
		e.err = fmt.Errorf("%w: closed after %d of the declared %d bytes", ErrSizeMismatch, e.accepted, e.h.Size)
		return e.err
	}
	return e.flush(true)
}

// Sum returns the end marker's sum, and whether Close has written it.
func (e *Encoder) Sum() ([SumSize]byte, bool) {
	return e.final, e.closed && e.err == nil
}

func (e *Encoder) check() error {
	if e.err != nil {
		return e.err
	}
	if e.closed {
		return ErrClosed
	}
	return nil
}

// flush writes the header if it is still pending, the buffered data as a
// segment, and, if end, the end marker, in one Write.
func (e *Encoder) flush(end bool) error {
	start, stop := e.data, e.data+e.n
	if e.n > 0 {
		start -= varint.Len(uint64(e.n))
		varint.Put(e.buf[start:], uint64(e.n))
	}
	if end {
		e.buf[stop] = 0
		stop++
	}
	e.sum.Write(e.buf[start:stop])
	if end {
		e.sum.Sum(e.final[:0])
		stop += copy(e.buf[stop:], e.final[:])
	}
	if e.hdr != nil {
		start -= len(e.hdr)
		copy(e.buf[start:], e.hdr)
		e.hdr = nil
	}
	e.n = 0
	if start == stop {
		return nil
	}
	if _, err := e.w.Write(e.buf[start:stop]); err != nil {
		e.err = err
		return err
	}
	return nil
}
