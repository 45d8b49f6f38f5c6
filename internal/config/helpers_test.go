package config_test

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/internal/config"
	"github.com/seigr/stt-tun/sttcore/stc"
)

// Keys made with stc.GeneratePrivateKey for these tests. alpha is the node
// under test; the others are its peers.
const (
	alphaPriv = "xRH5nUWUx3zPE1iITP/iNiZDb/D12MADvSwnPZL9od8="
	alphaPub  = "UbaYMxpICehbQSLx2OthX4PCkN12sDJDpjN6/RAtP1o="
	betaPub   = "pwBkRaUxvB0sGh+CZUDDILE3eOaB6VgwA8MP5bFfKyo="
	gammaPub  = "Vvyuif3CebXxy6Cl3JwaO17ANTn21Cp+hRnRWuznU30="
	deltaPub  = "dUJ4zlRMYCO02S3gPDMZ/kfoJJMO+DYqPFw2W0zQZ3k="
	netSeed   = "l+atJX15tNDKYK63NLhDzyi+d7M4eyHzvaqOENKGFo8="
	// zeroKey is 32 zero bytes: a zero private key, a low-order public key.
	zeroKey = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
)

// writeFile writes data to dir/name with exactly the mode perm (no umask).
func writeFile(t *testing.T, dir, name, data string, perm os.FileMode) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
	require.NoError(t, os.WriteFile(path, []byte(data), perm))
	require.NoError(t, os.Chmod(path, perm))
	return path
}

// markedLine returns the 1-based line of text that carries the marker
// comment "# <-", or 0 if none does.
func markedLine(text string) int {
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, "# <-") {
			return i + 1
		}
	}
	return 0
}

// render writes c as a configuration file with every key explicit and the
// secrets inline: the encoder for the round-trip tests.
func render(c *config.Config) []byte {
	var b strings.Builder
	in := &c.Interface
	b.WriteString("[interface]\n")
	fmt.Fprintf(&b, "name = %s\n", tomlString(in.Name))
	fmt.Fprintf(&b, "private_key = %s\n", tomlString(in.PrivateKey.Encode()))
	if in.SharedSeed != nil {
		fmt.Fprintf(&b, "shared_seed = %s\n", tomlString(stc.EncodeSharedSeed(in.SharedSeed)))
	}
	fmt.Fprintf(&b, "address = %s\n", tomlPrefixes(in.Addresses))
	fmt.Fprintf(&b, "listen_port = %d\n", in.ListenPort)
	fmt.Fprintf(&b, "mtu = %d\n", in.MTU)
	fmt.Fprintf(&b, "txqueuelen = %d\n", in.TxQueueLen)
	fmt.Fprintf(&b, "scheduling = %s\n", tomlString(in.Scheduling.String()))
	fmt.Fprintf(&b, "control_socket = %s\n", tomlString(in.ControlSocket))
	fmt.Fprintf(&b, "log_level = %s\n", tomlString(strings.ToLower(in.LogLevel.String())))
	fmt.Fprintf(&b, "metrics_address = %s\n", tomlString(in.MetricsAddress))
	for _, p := range c.Peers {
		b.WriteString("\n[[peer]]\n")
		fmt.Fprintf(&b, "name = %s\n", tomlString(p.Name))
		fmt.Fprintf(&b, "public_key = %s\n", tomlString(p.PublicKey.String()))
		fmt.Fprintf(&b, "endpoint = %s\n", tomlString(p.Endpoint))
		fmt.Fprintf(&b, "allowed_ips = %s\n", tomlPrefixes(p.AllowedIPs))
		fmt.Fprintf(&b, "persistent_keepalive = %s\n", tomlString(p.PersistentKeepalive.String()))
	}
	return []byte(b.String())
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func tomlPrefixes(ps []netip.Prefix) string {
	q := make([]string, len(ps))
	for i, p := range ps {
		q[i] = tomlString(p.String())
	}
	return "[" + strings.Join(q, ", ") + "]"
}
