package demo

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/tun"
)

func TestCheckHost(t *testing.T) {
	present := filepath.Join(t.TempDir(), "tun")
	require.NoError(t, os.WriteFile(present, nil, 0o600))
	missing := filepath.Join(t.TempDir(), "no-tun")
	for _, tt := range []struct {
		name    string
		euid    int
		path    string
		wantIs  error
		wantMsg string
	}{
		{"root with tun", 0, present, nil, ""},
		{"not root", 1000, present, ErrNotRoot, "stt-tun demo needs root: run `sudo stt-tun demo`"},
		{"not root, no tun", 1000, missing, ErrNotRoot, "needs root"},
		{"no tun", 0, missing, tun.ErrNoTUNDevice, "modprobe tun"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := checkHost(tt.euid, tt.path)
			if tt.wantIs == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.wantIs)
			require.Contains(t, err.Error(), tt.wantMsg)
		})
	}
}
