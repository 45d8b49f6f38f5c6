package segment

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/seigr/stt-tun/sttcore/varint"
)

// A Decoder reads a payload from a segment stream. It reads data segments
// straight into the caller's buffer, so it holds no chunk of its own and
// reads only as fast as the caller does: a receiver that stops reading
// stops the sender (through the stream's flow control). It reads exactly up
// to the end of the end marker, never past it.
//
// A Decoder is not safe for concurrent use. After an error, every Read
// returns the same error.
type Decoder struct {
	r       io.Reader
	br      io.ByteReader // r, when it is one
	h       Header
	sum     hash.Hash
	maxSize int64

	off   int64 // bytes consumed from r
	left  int   // bytes left in the current data segment
	total int64 // payload bytes read
	err   error // sticky; io.EOF once the end marker verified

	scratch [varint.MaxLen]byte
	one     [1]byte
	got     [SumSize]byte
	final   [SumSize]byte
}

// NewDecoder reads and validates the header segment from r. It fails with a
// *FormatError (a truncated or invalid header, a chunk size above
// MaxChunkSize, a declared size above opts.MaxSize), ErrKeySize, or the
// error of r.
func NewDecoder(r io.Reader, opts Options) (*Decoder, error) {
	sum, err := opts.newSum()
	if err != nil {
		return nil, err
	}
	d := &Decoder{r: r, sum: sum, maxSize: opts.MaxSize}
	d.br, _ = r.(io.ByteReader)
	if err := d.readHeader(); err != nil {
		return nil, err
	}
	return d, nil
}

// Header returns the payload's header.
func (d *Decoder) Header() Header { return d.h }

// Received returns the number of payload bytes read so far.
func (d *Decoder) Received() int64 { return d.total }

// Sum returns the end marker's sum, and whether it has been verified (Read
// returned io.EOF).
func (d *Decoder) Sum() ([SumSize]byte, bool) {
	return d.final, d.err == io.EOF
}

func (d *Decoder) readHeader() error {
	at := d.off
	n, err := d.readLength()
	if err != nil {
		return err
	}
	switch {
	case n == 0:
		return &FormatError{Offset: at, Err: fmt.Errorf("%w: empty header segment", ErrHeader)}
	case n > MaxHeaderSize:
		return &FormatError{Offset: at, Err: fmt.Errorf("%w: header of %d bytes, at most %d", ErrSegmentTooLarge, n, MaxHeaderSize)}
	}
	b := make([]byte, n)
	at = d.off
	if err := d.readFull(b); err != nil {
		return err
	}
	d.sum.Write(b)
	if d.h, err = parseHeader(b); err != nil {
		return &FormatError{Offset: at, Err: err}
	}
	if d.maxSize > 0 && d.h.Size > d.maxSize {
		return &FormatError{Offset: at, Err: fmt.Errorf("%w: %d bytes declared, at most %d accepted", ErrTooLarge, d.h.Size, d.maxSize)}
	}
	return nil
}

// Read reads payload bytes into p. It returns io.EOF only after the end
// marker has arrived and its sum and the payload's length have been
// verified. Errors are a *FormatError (see the package documentation) or
// the error of the underlying reader.
func (d *Decoder) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if d.left == 0 {
		if err := d.next(); err != nil {
			d.err = err
			return 0, err
		}
	}
	n, err := d.r.Read(p[:min(len(p), d.left)])
	if n > 0 {
		d.sum.Write(p[:n])
		d.left -= n
		d.off += int64(n)
		d.total += int64(n)
	}
	if err != nil {
		if err == io.EOF {
			err = &FormatError{Offset: d.off, Err: io.ErrUnexpectedEOF}
		}
		d.err = err
	}
	return n, err
}

// next reads the next segment's length, and the end marker if it is one,
// until it finds a segment with data. It returns io.EOF for a verified end.
func (d *Decoder) next() error {
	at := d.off
	n, err := d.readLength()
	if err != nil {
		return err
	}
	if n == 0 {
		return d.end(at)
	}
	if n > uint64(d.h.Chunk) {
		return &FormatError{Offset: at, Err: fmt.Errorf("%w: %d bytes, the chunk size is %d", ErrSegmentTooLarge, n, d.h.Chunk)}
	}
	if d.h.Size >= 0 && n > uint64(d.h.Size-d.total) {
		return &FormatError{Offset: at, Err: fmt.Errorf("%w: %d bytes past the declared %d", ErrSizeMismatch, d.total+int64(n)-d.h.Size, d.h.Size)}
	}
	if d.maxSize > 0 && n > uint64(d.maxSize-d.total) {
		return &FormatError{Offset: at, Err: fmt.Errorf("%w: more than %d bytes", ErrTooLarge, d.maxSize)}
	}
	d.left = int(n)
	return nil
}

// end reads and checks the end marker, whose zero length was at offset at.
func (d *Decoder) end(at int64) error {
	d.sum.Sum(d.final[:0])
	sumAt := d.off
	if err := d.readFull(d.got[:]); err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(d.got[:], d.final[:]) != 1 {
		return &FormatError{Offset: sumAt, Err: ErrIntegrity}
	}
	if d.h.Size >= 0 && d.total != d.h.Size {
		return &FormatError{Offset: at, Err: fmt.Errorf("%w: %d bytes of the declared %d", ErrSizeMismatch, d.total, d.h.Size)}
	}
	return io.EOF
}

// readLength reads a segment length and adds its bytes to the sum.
func (d *Decoder) readLength() (uint64, error) {
	at := d.off
	b := d.scratch[:0]
	for len(b) < len(d.scratch) {
		c, err := d.readByte()
		if err != nil {
			return 0, err
		}
		b = append(b, c)
		if c < 0x80 {
			break
		}
	}
	v, _, err := varint.Parse(b)
	if err != nil {
		return 0, &FormatError{Offset: at, Err: err}
	}
	d.sum.Write(b)
	return v, nil
}

func (d *Decoder) readByte() (byte, error) {
	if d.br != nil {
		c, err := d.br.ReadByte()
		if err != nil {
			return 0, d.readErr(err)
		}
		d.off++
		return c, nil
	}
	if err := d.readFull(d.one[:]); err != nil {
		return 0, err
	}
	return d.one[0], nil
}

// readFull fills b from r; the stream ending first is a truncation.
func (d *Decoder) readFull(b []byte) error {
	n, err := io.ReadFull(d.r, b)
	d.off += int64(n)
	if err != nil {
		return d.readErr(err)
	}
	return nil
}

// readErr turns the end of r into a truncation error at the current offset.
func (d *Decoder) readErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &FormatError{Offset: d.off, Err: io.ErrUnexpectedEOF}
	}
	return err
}
