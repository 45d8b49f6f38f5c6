package config

import (
	"io/fs"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFileErrorPermission checks the message for a key file the process may
// not read. Tests run as root, who may read any file, so the error is made
// up rather than provoked.
func TestFileErrorPermission(t *testing.T) {
	err := &fs.PathError{Op: "open", Path: "/etc/stt-tun/private.key", Err: fs.ErrPermission}
	e := fileError("stt0.toml", 3, "interface.private_key_file", privateKeyFile, "/etc/stt-tun/private.key", err, nil)
	require.Equal(t, "stt0.toml:3: interface.private_key_file: private key file /etc/stt-tun/private.key cannot be read: permission denied "+
		"(fix: run stt-tun as root, or make /etc/stt-tun/private.key owned and readable by the user stt-tun runs as (mode 0600))", e.Error())
	require.ErrorIs(t, e, fs.ErrPermission)
}

func TestQuotePath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/etc/stt-tun/private.key", "/etc/stt-tun/private.key"},
		{"", `""`},
		{"my keys/private.key", `"my keys/private.key"`},
		{"a\nb", `"a\nb"`},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, quotePath(tt.in))
	}
}

func TestRelated(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"interface", "interface.mtu", true},
		{"interface.mtu", "interface", true},
		{"peer[1]", "peer[1].name", true},
		{"peer[1].allowed_ips", "peer[1].allowed_ips[0]", true},
		{"peer[1]", "peer[10]", false},
		{"interface.address", "interface.address_x", false},
		{"", "interface", false},
		{"peer[0].name", "peer[0].name", true},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, related(tt.a, tt.b), "%q %q", tt.a, tt.b)
	}
}

func TestSuggest(t *testing.T) {
	tests := []struct{ table, name, want string }{
		{"peer", "AllowedIPs", "allowed_ips"},
		{"peer", "PublicKey", "public_key"},
		{"peer", "PersistentKeepalive", "persistent_keepalive"},
		{"interface", "PrivateKey", "private_key"},
		{"interface", "ListenPort", "listen_port"},
		{"interface", "MTU", "mtu"},
		{"interface", "adress", "address"},
		{"", "Peer", "peer"},
		{"interface", "colour", ""},
		{"peer", "mtu", ""},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, suggest(tt.table, tt.name), "%s %s", tt.table, tt.name)
	}
}
