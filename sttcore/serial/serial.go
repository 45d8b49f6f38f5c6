package serial

// Tags, the first byte of every encoded value (docs/protocol.md §8).
const (
	tagNull     = 0x00
	tagFalse    = 0x01
	tagTrue     = 0x02
	tagUnsigned = 0x03
	tagSigned   = 0x04
	tagFloat64  = 0x05
	tagBytes    = 0x06
	tagString   = 0x07
	tagList     = 0x08
	tagMap      = 0x09
)

// Limits of the specification, used when an Encoder or Decoder field is zero.
const (
	// DefaultMaxDepth is the deepest nesting of lists and maps: a top-level
	// scalar has depth 0, a top-level list or map depth 1.
	DefaultMaxDepth = 32
	// DefaultMaxSize is the largest encoded value, in bytes (16 MiB).
	DefaultMaxSize = 16 << 20
)

// hardMaxDepth caps a configured MaxDepth, so that a deep input cannot
// exhaust the goroutine stack of the recursive encoder and decoder.
const hardMaxDepth = 10000

// Smallest encodings, which bound how many elements the bytes left can hold.
const (
	minValueLen = 1 // a tag
	minEntryLen = 2 // a key length (empty key) and a tag
)

// limits returns the effective depth and size limits for configured values,
// where zero or less means the default.
func limits(maxDepth, maxSize int) (int, int) {
	if maxDepth <= 0 {
		maxDepth = DefaultMaxDepth
	}
	maxDepth = min(maxDepth, hardMaxDepth)
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	return maxDepth, maxSize
}
