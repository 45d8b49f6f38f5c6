package config_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/seigr/stt-tun/internal/config"
	"github.com/seigr/stt-tun/sttcore/stc"
)

// BenchmarkParse measures a reload: a typical file with two peers, and a
// large one with 250 peers.
func BenchmarkParse(b *testing.B) {
	large := func() []byte {
		var sb strings.Builder
		sb.WriteString(iface)
		for i := range 250 {
			k, err := stc.GeneratePrivateKey()
			if err != nil {
				b.Fatal(err)
			}
			fmt.Fprintf(&sb, "\n[[peer]]\nname = \"peer%d\"\npublic_key = \"%s\"\nendpoint = \"198.51.%d.%d:51820\"\nallowed_ips = [\"10.%d.%d.0/24\"]\npersistent_keepalive = \"25s\"\n",
				i, k.PublicKey(), i/250, i%250, 100+i/250, i%250)
		}
		return []byte(sb.String())
	}
	for _, bc := range []struct {
		name string
		data []byte
	}{
		{"peers=2", []byte(iface + betaPeer + gammaPeer)},
		{"peers=250", large()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			if _, err := config.Parse("stt0.toml", bc.data); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.data)))
			for b.Loop() {
				if _, err := config.Parse("stt0.toml", bc.data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
