// Package serial implements the STT serialization (docs/protocol.md §8): a
// compact, deterministic binary encoding of structured values, used by
// applications of sttcore and by stt-tun's own records (the chamber,
// resumption tickets).
//
// Every value is a one-byte tag and a body. Values map to Go types as follows:
//
//	null      nil
//	false     false
//	true      true
//	unsigned  uint64   (varint)
//	signed    int64    (zigzag varint)
//	float64   float64  (8 bytes, big-endian IEEE 754, bits kept as they are)
//	bytes     []byte
//	string    string   (valid UTF-8)
//	list      []any
//	map       map[string]any (keys written in ascending byte order)
//
// Marshal and Append also take int, int8…int32 (as signed), uint,
// uint8…uint32 (as unsigned) and float32 (as float64); Unmarshal always
// returns the types in the table. Nothing else is encoded: there is no
// reflection-based struct encoding, and other types give an
// *UnsupportedTypeError.
//
// The encoding is canonical, and decoders enforce it, so that every value has
// exactly one encoding and Marshal(Unmarshal(b)) == b byte for byte: varints
// are minimal, map keys are in strictly ascending byte order, and signed and
// unsigned integers are different values (int64(1) and uint64(1) encode
// differently). Decoding is bounded: nesting depth is at most
// DefaultMaxDepth, the whole input at most DefaultMaxSize bytes (both
// configurable in a Decoder), and every length and count is checked against
// the bytes left before anything is allocated, so memory use is proportional
// to the input's length whatever it claims. Decoding errors are
// *SyntaxError values that carry the byte offset and wrap one of the
// sentinel errors (ErrTruncated, ErrTrailing, ErrTooDeep, ErrTooLarge,
// ErrNotCanonical, ErrOverflow, ErrInvalidUTF8, ErrUnknownTag) for errors.Is.
//
// What the values mean is left to callers: this package knows no schemas,
// and it does no framing (one encoded value is one whole byte slice; the
// caller stores or sends its length).
//
// All functions are safe for concurrent use; Encoder and Decoder are plain
// configuration values with no state. Decoded values never alias the input.
package serial
