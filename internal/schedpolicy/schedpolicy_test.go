package schedpolicy

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Policy
		err  bool
	}{
		{"normal", Normal, false},
		{"batch", Batch, false},
		{"Batch", 0, true},
		{"idle", 0, true},
		{"", 0, true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			p, err := Parse(tc.in)
			if tc.err {
				require.ErrorIs(t, err, ErrUnknown)
				require.ErrorContains(t, err, tc.in)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, p)
			require.Equal(t, tc.in, p.String())
		})
	}
	require.Equal(t, "Policy(7)", Policy(7).String())
}
