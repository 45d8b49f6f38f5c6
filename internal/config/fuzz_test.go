package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/internal/config"
)

// FuzzConfig parses arbitrary files. Parse must not panic; a failure must
// be made of *Error values that each have a message, a fix, a line within
// the file and one line of text; a success must validate, and render back
// to a file that parses to the same Config (decode ∘ encode = identity).
func FuzzConfig(f *testing.F) {
	f.Add([]byte(iface + betaPeer + gammaPeer))
	f.Add([]byte(iface + "mtu = 100\nfoo = 1\n" + betaPeer + "endpoint = \"x\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := config.Parse("fuzz.toml", data)
		if err != nil {
			require.Nil(t, c)
			var list []*config.Error
			var es config.Errors
			var e *config.Error
			switch {
			case errors.As(err, &es):
				require.Greater(t, len(es), 1)
				list = es
			case errors.As(err, &e):
				list = []*config.Error{e}
			default:
				t.Fatalf("error of type %T: %v", err, err)
			}
			lines := strings.Count(string(data), "\n") + 1
			for _, e := range list {
				require.NotEmpty(t, e.Msg, "%v", e)
				require.NotEmpty(t, e.Fix, "%v", e)
				require.Equal(t, "fuzz.toml", e.File)
				require.GreaterOrEqual(t, e.Line, 0)
				require.LessOrEqual(t, e.Line, lines)
				require.NotContains(t, e.Error(), "\n")
			}
			return
		}
		require.NoError(t, c.Validate())
		again, err := config.Parse("fuzz.toml", render(c))
		require.NoError(t, err, "rendered:\n%s", render(c))
		require.Equal(t, c, again)
	})
}
