package serial

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

var sentinels = []error{ErrTruncated, ErrTrailing, ErrTooDeep, ErrTooLarge,
	ErrNotCanonical, ErrOverflow, ErrInvalidUTF8, ErrUnknownTag}

// FuzzUnmarshal checks that every input that decodes re-encodes to exactly
// the same bytes, and that every other input gives a *SyntaxError wrapping
// a sentinel at an offset inside the input.
func FuzzUnmarshal(f *testing.F) {
	for _, tt := range encodingTests {
		f.Add(tt.want)
	}
	if b, err := Marshal(benchRecord()); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := Unmarshal(b)
		if err != nil {
			require.Nil(t, v)
			var se *SyntaxError
			require.ErrorAs(t, err, &se)
			require.GreaterOrEqual(t, se.Offset, 0)
			require.LessOrEqual(t, se.Offset, len(b))
			require.Contains(t, sentinels, errors.Unwrap(err))
			return
		}
		requireDecodedTypes(t, v)
		again, err := Marshal(v)
		require.NoError(t, err)
		require.Equal(t, b, again)

		// A tighter depth limit either refuses the input for its depth or
		// agrees.
		if _, err := (Decoder{MaxDepth: 2}).Unmarshal(b); err != nil {
			require.ErrorIs(t, err, ErrTooDeep)
		}
	})
}
