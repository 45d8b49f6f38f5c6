package segment

import (
	"fmt"
	"hash"
	"math"

	"golang.org/x/crypto/blake2s"

	"github.com/seigr/stt-tun/sttcore/serial"
	"github.com/seigr/stt-tun/sttcore/varint"
)

// Limits and sizes of the format.
const (
	// Version is the format version, the header's "version".
	Version = 1
	// DefaultChunkSize is the data segment size when Options.ChunkSize is zero.
	DefaultChunkSize = 64 << 10
	// MaxChunkSize is the largest chunk size a header may declare.
	MaxChunkSize = 1 << 20
	// MaxHeaderSize is the largest encoded header map, in bytes.
	MaxHeaderSize = 16 << 10
	// SumSize is the length of the end marker's sum.
	SumSize = blake2s.Size
	// MaxKeySize is the longest Options.Key.
	MaxKeySize = blake2s.Size
	// UnknownSize is Header.Size for a live stream, whose length is not
	// known in advance.
	UnknownSize = -1
)

// sumLabel starts every sum, so that a key shared with another use never
// yields the same MAC over the same bytes.
const sumLabel = "STT segment v1\n"

// Header keys.
const (
	keyVersion = "version"
	keyName    = "name"
	keyChunk   = "chunk"
	keySize    = "size"
	keyType    = "type"
)

// headerDepth bounds the nesting of the header map's values, extensions
// included.
const headerDepth = 8

// Header describes a payload; it is the first segment of the stream.
type Header struct {
	// Name names the payload, e.g. a file's base name. It must be valid UTF-8.
	// What it means is up to the application.
	Name string
	// Size is the payload's length in bytes, or UnknownSize for a live
	// stream. An Encoder treats every negative Size as UnknownSize.
	Size int64
	// Type is an optional media type, e.g. "video/mp4".
	Type string
	// Chunk is the largest data segment. An Encoder sets it from
	// Options.ChunkSize (the value given to NewEncoder is ignored); a
	// Decoder reads it from the stream.
	Chunk int
}

// Live reports whether the payload's length is unknown.
func (h Header) Live() bool { return h.Size < 0 }

// Options configure an Encoder or a Decoder. The zero value works: unkeyed
// sums, 64 KiB segments, no size limit.
type Options struct {
	// Key keys the end marker's BLAKE2s-256 sum; both sides must use the
	// same. At most MaxKeySize bytes; empty means an unkeyed sum, which
	// still detects truncation and corruption but not a payload swapped
	// for another by someone who can write to the stream.
	Key []byte
	// ChunkSize is the largest data segment an Encoder writes, and the most
	// it buffers. Zero means DefaultChunkSize; at most MaxChunkSize.
	// Decoders ignore it: they accept any chunk size up to MaxChunkSize.
	ChunkSize int
	// MaxSize is the longest payload a Decoder accepts: a header declaring
	// more, or a live stream running past it, fails with ErrTooLarge.
	// Zero means no limit. Encoders ignore it.
	MaxSize int64
}

// chunkSize returns the effective chunk size of o.
func (o *Options) chunkSize() (int, error) {
	switch c := o.ChunkSize; {
	case c == 0:
		return DefaultChunkSize, nil
	case c < 0 || c > MaxChunkSize:
		return 0, fmt.Errorf("%w: %d (want 1 to %d)", ErrChunkSize, c, MaxChunkSize)
	default:
		return c, nil
	}
}

// newSum returns the hash of the end marker, with the label written.
func (o *Options) newSum() (hash.Hash, error) {
	if len(o.Key) > MaxKeySize {
		return nil, fmt.Errorf("%w: got %d", ErrKeySize, len(o.Key))
	}
	h, err := blake2s.New256(o.Key)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeySize, err)
	}
	h.Write([]byte(sumLabel))
	return h, nil
}

// appendHeader appends the header segment (length and map) for h to b.
func appendHeader(b []byte, h Header) ([]byte, error) {
	m := map[string]any{
		keyVersion: uint64(Version),
		keyName:    h.Name,
		keyChunk:   uint64(h.Chunk),
	}
	if h.Size >= 0 {
		m[keySize] = uint64(h.Size)
	}
	if h.Type != "" {
		m[keyType] = h.Type
	}
	enc, err := serial.Marshal(m)
	if err != nil {
		return b, fmt.Errorf("%w: %w", ErrHeader, err)
	}
	if len(enc) > MaxHeaderSize {
		return b, fmt.Errorf("%w: %d bytes encoded, at most %d", ErrHeader, len(enc), MaxHeaderSize)
	}
	b = varint.Append(b, uint64(len(enc)))
	return append(b, enc...), nil
}

// parseHeader decodes and validates an encoded header map. The error is
// ErrHeader wrapped with a reason.
func parseHeader(b []byte) (Header, error) {
	v, err := serial.Decoder{MaxDepth: headerDepth, MaxSize: MaxHeaderSize}.Unmarshal(b)
	if err != nil {
		return Header{}, fmt.Errorf("%w: %w", ErrHeader, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return Header{}, fmt.Errorf("%w: a %T, not a map", ErrHeader, v)
	}
	version, err := headerUint(m, keyVersion, true)
	if err != nil {
		return Header{}, err
	}
	if version != Version {
		return Header{}, fmt.Errorf("%w: version %d, this decoder knows %d", ErrHeader, version, Version)
	}
	h := Header{Size: UnknownSize}
	if h.Name, err = headerString(m, keyName, true); err != nil {
		return Header{}, err
	}
	if h.Type, err = headerString(m, keyType, false); err != nil {
		return Header{}, err
	}
	chunk, err := headerUint(m, keyChunk, true)
	if err != nil {
		return Header{}, err
	}
	if chunk == 0 || chunk > MaxChunkSize {
		return Header{}, fmt.Errorf("%w: chunk size %d (want 1 to %d)", ErrHeader, chunk, MaxChunkSize)
	}
	h.Chunk = int(chunk)
	if _, ok := m[keySize]; ok {
		size, err := headerUint(m, keySize, true)
		if err != nil {
			return Header{}, err
		}
		if size > math.MaxInt64 {
			return Header{}, fmt.Errorf("%w: size %d overflows int64", ErrHeader, size)
		}
		h.Size = int64(size)
	}
	return h, nil
}

func headerUint(m map[string]any, key string, required bool) (uint64, error) {
	v, ok := m[key]
	if !ok {
		if required {
			return 0, fmt.Errorf("%w: no %q", ErrHeader, key)
		}
		return 0, nil
	}
	u, ok := v.(uint64)
	if !ok {
		return 0, fmt.Errorf("%w: %q is a %T, not an unsigned integer", ErrHeader, key, v)
	}
	return u, nil
}

func headerString(m map[string]any, key string, required bool) (string, error) {
	v, ok := m[key]
	if !ok {
		if required {
			return "", fmt.Errorf("%w: no %q", ErrHeader, key)
		}
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%w: %q is a %T, not a string", ErrHeader, key, v)
	}
	return s, nil
}
