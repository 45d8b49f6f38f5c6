package tunnelbench

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLoadSettings(t *testing.T) {
	defaults := settings{Seconds: 5, Omit: 1, UDPRate: "500M"}
	for _, tt := range []struct {
		name    string
		env     map[string]string
		want    settings
		wantErr []string // every message the error must carry
	}{
		{name: "defaults", want: defaults},
		{
			name: "all set",
			env: map[string]string{
				envSeconds: "10", envOmit: "0", envUDPRate: "1.5G",
				envBinary: "/tmp/stt-tun", envProfileDir: "/tmp/prof",
			},
			want: settings{Seconds: 10, Omit: 0, UDPRate: "1.5G", Binary: "/tmp/stt-tun", ProfileDir: "/tmp/prof"},
		},
		{name: "rate without suffix", env: map[string]string{envUDPRate: "250000000"}, want: settings{Seconds: 5, Omit: 1, UDPRate: "250000000"}},
		{name: "zero seconds", env: map[string]string{envSeconds: "0"}, wantErr: []string{`TUNNELBENCH_SECONDS="0"`}},
		{name: "seconds with unit", env: map[string]string{envSeconds: "5s"}, wantErr: []string{`TUNNELBENCH_SECONDS="5s"`}},
		{name: "too long", env: map[string]string{envSeconds: "3601"}, wantErr: []string{"from 1 to 3600"}},
		{name: "negative omit", env: map[string]string{envOmit: "-1"}, wantErr: []string{`TUNNELBENCH_OMIT="-1"`}},
		{name: "zero rate", env: map[string]string{envUDPRate: "0M"}, wantErr: []string{`TUNNELBENCH_UDP_RATE="0M"`}},
		{name: "rate in words", env: map[string]string{envUDPRate: "500 Mbit/s"}, wantErr: []string{`TUNNELBENCH_UDP_RATE="500 Mbit/s"`}},
		{name: "relative binary", env: map[string]string{envBinary: "stt-tun"}, wantErr: []string{"absolute path to an stt-tun binary"}},
		{
			name:    "every problem at once",
			env:     map[string]string{envSeconds: "x", envProfileDir: "prof"},
			wantErr: []string{`TUNNELBENCH_SECONDS="x"`, `STT_CPUPROFILE_DIR="prof"`},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := loadSettings(func(k string) string { return tt.env[k] })
			if tt.wantErr != nil {
				require.ErrorIs(t, err, errBadSetting)
				for _, msg := range tt.wantErr {
					require.ErrorContains(t, err, msg)
				}
				require.Zero(t, got)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}
