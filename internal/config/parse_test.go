package config_test

import (
	"errors"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/internal/config"
	"github.com/seigr/stt-tun/internal/schedpolicy"
	"github.com/seigr/stt-tun/routing"
	"github.com/seigr/stt-tun/sttcore/stc"
)

// iface is a valid [interface] section of three lines.
const iface = "[interface]\nprivate_key = \"" + alphaPriv + "\"\naddress = [\"10.77.0.1/24\"]\n"

// peer returns a valid [[peer]] section; mark is appended to its header line.
func peer(name, key, ips, mark string) string {
	return "\n[[peer]]" + mark + "\nname = \"" + name + "\"\npublic_key = \"" + key + "\"\nallowed_ips = " + ips + "\n"
}

var (
	betaPeer  = peer("beta", betaPub, `["10.77.0.2/32"]`, "")
	gammaPeer = peer("gamma", gammaPub, `["10.77.0.3/32"]`, "")
)

// TestParseErrors gives one bad configuration per rule and checks the one
// problem reported: its key, its line (the line marked "# <-", or 0 when no
// line is marked), and that the message and the fix say the right thing.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		text string
		key  string
		msg  string // substring of Msg
		fix  string // substring of Fix
		is   error  // if set, errors.Is(err, is)
	}{
		// TOML itself.
		{"syntax unterminated string", iface + "name = \"stt0 # <-\n", "", "column", "TOML syntax", nil},
		{"syntax missing equals", iface + "mtu 1420 # <-\n", "", "expected '='", "TOML syntax", nil},
		{"key defined twice", iface + "mtu = 1420\nmtu = 1400 # <-\n", "interface.mtu", "already defined", "appear once", nil},
		{"integer too large", iface + "mtu = 99999999999999999999 # <-\n", "interface.mtu", "too large", "range", nil},

		// Unknown keys.
		{"unknown key misspelt", iface + "listen_prot = 1 # <-\n", "interface.listen_prot", `did you mean "listen_port"`, "known keys in [interface]: name, private_key_file", nil},
		{"unknown key WireGuard spelling", iface + "ListenPort = 51820 # <-\n", "interface.ListenPort", `did you mean "listen_port"`, "known keys", nil},
		{"unknown key wrong case", iface + "Name = \"x\" # <-\n", "interface.Name", `did you mean "name"`, "known keys", nil},
		{"unknown key no suggestion", iface + "colour = \"red\" # <-\n", "interface.colour", `unknown key "colour"`, "remove it or check the spelling; known keys in [interface]", nil},
		{"unknown key in peer", iface + betaPeer + "alowed_ips = [] # <-\n", "peer[0].alowed_ips", `did you mean "allowed_ips"`, "known keys in [[peer]]: name, public_key, endpoint, allowed_ips, persistent_keepalive", nil},
		{"interface key below peer", iface + betaPeer + "mtu = 1400 # <-\n", "peer[0].mtu", "is a key of [interface]", "move it into the [interface] section", nil},
		{"unknown section", iface + "[interfaces] # <-\n", "interfaces", `did you mean [interface]?`, "[interface], [[peer]]", nil},
		{"unknown top-level key", "mtu = 1400 # <-\n" + iface, "mtu", "is a key of [interface]", "move it into the [interface] section", nil},
		{"unknown key in inline peer", "peer = [{name = \"beta\", public_key = \"" + betaPub + "\", allowed_ips = [\"10.77.0.2/32\"], port = 1}] # <-\n" + iface, "peer[0].port", `unknown key "port"`, "known keys in [[peer]]", nil},

		// Wrong types.
		{"integer quoted", iface + "mtu = \"1400\" # <-\n", "interface.mtu", "is a string, but must be an integer", "remove the quotes", nil},
		{"string not quoted", iface + "listen_port = 1.5 # <-\n", "interface.listen_port", "is a decimal number, but must be an integer", "listen_port = 51820", nil},
		{"list written as string", "[interface]\nprivate_key = \"" + alphaPriv + "\"\naddress = \"10.77.0.1/24\" # <-\n", "interface.address", "must be a list of quoted strings", `address = ["10.77.0.1/24"`, nil},
		{"list entry not a string", iface + peer("beta", betaPub, "[\"10.77.0.2/32\", 5] # <-", ""), "peer[0].allowed_ips[1]", "is an integer, but each entry must be a quoted string", "quote each entry", nil},
		{"keepalive boolean", iface + betaPeer + "persistent_keepalive = true # <-\n", "peer[0].persistent_keepalive", "is a boolean", `"25s"`, nil},
		{"peer single section", iface + "[peer] # <-\nname = \"beta\"\n", "peer", "is written [peer]", "[[peer]] with double brackets", nil},
		{"interface array", "[[interface]] # <-\nprivate_key = \"" + alphaPriv + "\"\naddress = [\"10.77.0.1/24\"]\n", "interface", "is written [[interface]]", "[interface] with single brackets", nil},
		{"interface not a table", "interface = 5 # <-\n", "interface", "is an integer, but must be a single [section]", "[interface]", nil},

		// [interface].
		{"missing interface", betaPeer, "interface", "[interface] section is missing", "add an [interface] section", nil},
		{"missing private key", "[interface] # <-\naddress = [\"10.77.0.1/24\"]\n", "interface.private_key", "no private key", "stt-tun genkey", nil},
		{"private key twice", "[interface]\nprivate_key = \"" + alphaPriv + "\" # <-\naddress = [\"10.77.0.1/24\"]\nprivate_key_file = \"x.key\"\n", "interface.private_key", "both private_key and private_key_file", "keep one", nil},
		{"private key bad base64", "[interface]\nprivate_key = \"not base64!\" # <-\naddress = [\"10.77.0.1/24\"]\n", "interface.private_key", "base64 of 32 bytes", "stt-tun genkey", stc.ErrKeyEncoding},
		{"private key short", "[interface]\nprivate_key = \"c2hvcnQ=\" # <-\naddress = [\"10.77.0.1/24\"]\n", "interface.private_key", "not a valid private key", "stt-tun genkey", stc.ErrKeyEncoding},
		{"private key zero", "[interface]\nprivate_key = \"" + zeroKey + "\" # <-\naddress = [\"10.77.0.1/24\"]\n", "interface.private_key", "all zeros", "stt-tun genkey", stc.ErrZeroKey},
		{"private key file empty name", "[interface]\nprivate_key_file = \"\" # <-\naddress = [\"10.77.0.1/24\"]\n", "interface.private_key_file", "is empty", "path of the key file", nil},
		{"shared seed short", iface + "shared_seed = \"c2hvcnQ=\" # <-\n", "interface.shared_seed", "at least 16 bytes", "stt-tun genseed", stc.ErrSharedSeed},
		{"shared seed twice", iface + "shared_seed = \"" + netSeed + "\" # <-\nshared_seed_file = \"s\"\n", "interface.shared_seed", "both shared_seed and shared_seed_file", "keep one", nil},
		{"name with slash", iface + "name = \"stt/0\" # <-\n", "interface.name", `contains '/'`, `name = "stt0"`, nil},
		{"name too long", iface + "name = \"stt-0123456789ab\" # <-\n", "interface.name", "16 bytes long; Linux allows at most 15", "1 to 15", nil},
		{"name with space", iface + "name = \"stt 0\" # <-\n", "interface.name", `contains ' '`, "1 to 15", nil},
		{"name empty", iface + "name = \"\" # <-\n", "interface.name", "empty", "1 to 15", nil},
		{"address bad octet", "[interface]\nprivate_key = \"" + alphaPriv + "\"\naddress = [\"10.77.0.300/24\"] # <-\n", "interface.address[0]", `"10.77.0.300/24" is not a valid address/prefix`, `"10.77.0.1/24"`, nil},
		{"address bad length", "[interface]\nprivate_key = \"" + alphaPriv + "\"\naddress = [\"10.77.0.1/24\",\n  \"fd77::1/129\"] # <-\n", "interface.address[1]", `"fd77::1/129"`, "prefix length", nil},
		{"address without length", "[interface]\nprivate_key = \"" + alphaPriv + "\"\naddress = [\"10.77.0.1\"] # <-\n", "interface.address[0]", `"10.77.0.1" has no prefix length`, `"10.77.0.1/24"`, nil},
		{"address twice", "[interface]\nprivate_key = \"" + alphaPriv + "\"\naddress = [\"10.77.0.1/24\", \"10.77.0.1/16\"] # <-\n", "interface.address[1]", "repeats the address of address[0]", "remove one", nil},
		{"address multicast", "[interface]\nprivate_key = \"" + alphaPriv + "\"\naddress = [\"224.0.0.1/4\"] # <-\n", "interface.address[0]", "not a usable interface address", "unicast", nil},
		{"no address", "[interface]\nprivate_key = \"" + alphaPriv + "\"\naddress = [] # <-\n", "interface.address", "no address", `address = ["10.77.0.1/24"]`, nil},
		{"address absent", "[interface] # <-\nprivate_key = \"" + alphaPriv + "\"\n", "interface.address", "no address", `address = ["10.77.0.1/24"]`, nil},
		{"txqueuelen zero", iface + "txqueuelen = 0 # <-\n", "interface.txqueuelen", "txqueuelen 0 is out of range 1..1048576", "1 to 1048576", nil},
		{"txqueuelen too large", iface + "txqueuelen = 1048577 # <-\n", "interface.txqueuelen", "out of range", "the default 4000", nil},
		{"scheduling unknown", iface + "scheduling = \"fifo\" # <-\n", "interface.scheduling", `unknown scheduling policy "fifo"`, `"batch"`, nil},
		{"mtu too small", iface + "mtu = 500 # <-\n", "interface.mtu", "mtu 500 is out of range 576..65535", "576 to 65535", nil},
		{"mtu too large", iface + "mtu = 65536 # <-\n", "interface.mtu", "mtu 65536 is out of range", "576 to 65535", nil},
		{"mtu too small for IPv6", "[interface]\nprivate_key = \"" + alphaPriv + "\"\naddress = [\"10.77.0.1/24\", \"fd77::1/64\"]\nmtu = 1200 # <-\n", "interface.mtu", "address[1] fd77::1/64 is IPv6", "1280 or more", nil},
		{"port too large", iface + "listen_port = 65536 # <-\n", "interface.listen_port", "port 65536 is out of range", "1 to 65535", nil},
		{"port negative", iface + "listen_port = -1 # <-\n", "interface.listen_port", "port -1 is out of range", "0 for a random one", nil},
		{"log level unknown", iface + "log_level = \"verbose\" # <-\n", "interface.log_level", `unknown log level "verbose"`, `"debug", "info", "warn", "error"`, nil},
		{"metrics no port", iface + "metrics_address = \"localhost\" # <-\n", "interface.metrics_address", `"localhost" has no port`, `"127.0.0.1:9586"`, nil},
		{"metrics port zero", iface + "metrics_address = \"127.0.0.1:0\" # <-\n", "interface.metrics_address", `port "0"`, `"127.0.0.1:9586"`, nil},
		{"metrics bad host", iface + "metrics_address = \"bad host:9586\" # <-\n", "interface.metrics_address", `host "bad host"`, "host:port", nil},
		{"control socket relative", iface + "control_socket = \"stt0.sock\" # <-\n", "interface.control_socket", "not an absolute path", "absolute path", nil},
		{"control socket too long", iface + "control_socket = \"/" + strings.Repeat("x", 120) + "\" # <-\n", "interface.control_socket", "at most 107", "absolute path", nil},

		// [[peer]].
		{"peer without name", iface + "\n[[peer]] # <-\npublic_key = \"" + betaPub + "\"\nallowed_ips = [\"10.77.0.2/32\"]\n", "peer[0].name", "no name", `name = "..."`, nil},
		{"peer without public key", iface + "\n[[peer]] # <-\nname = \"beta\"\nallowed_ips = [\"10.77.0.2/32\"]\n", "peer[0].public_key", `peer "beta" has no public_key`, "stt-tun pubkey", nil},
		{"peer without allowed ips", iface + "\n[[peer]] # <-\nname = \"beta\"\npublic_key = \"" + betaPub + "\"\n", "peer[0].allowed_ips", `peer "beta" has no allowed_ips`, `allowed_ips = ["10.77.0.2/32"]`, nil},
		{"peer empty allowed ips", iface + peer("beta", betaPub, "[] # <-", ""), "peer[0].allowed_ips", "no allowed_ips", "allowed_ips =", nil},
		{"peer name control char", iface + peer("be\\nta # <-", betaPub, `["10.77.0.2/32"]`, ""), "peer[0].name", `"be\nta # <-" is not printable`, "control characters", nil},
		{"duplicate peer names", iface + betaPeer + "\n[[peer]]\nname = \"beta\" # <-\npublic_key = \"" + gammaPub + "\"\nallowed_ips = [\"10.77.0.3/32\"]\n", "peer[1].name", `name "beta" is already used by peer[0], line 5`, "a name of its own", nil},
		{"duplicate public keys", iface + betaPeer + "\n[[peer]]\nname = \"gamma\"\npublic_key = \"" + betaPub + "\" # <-\nallowed_ips = [\"10.77.0.3/32\"]\n", "peer[1].public_key", `peer "gamma" has the same public key as peer "beta" (peer[0], line 5)`, "different host", nil},
		{"own public key", iface + "\n[[peer]]\nname = \"self\"\npublic_key = \"" + alphaPub + "\" # <-\nallowed_ips = [\"10.77.0.2/32\"]\n", "peer[0].public_key", "this node's own private key", "public key of the other host", nil},
		{"public key bad base64", iface + "\n[[peer]]\nname = \"beta\"\npublic_key = \"base64...\" # <-\nallowed_ips = [\"10.77.0.2/32\"]\n", "peer[0].public_key", "not a valid public key: it must be base64 of 32 bytes", "paste the output of `stt-tun pubkey` on that host", stc.ErrKeyEncoding},
		{"public key weak", iface + "\n[[peer]]\nname = \"beta\"\npublic_key = \"" + zeroKey + "\" # <-\nallowed_ips = [\"10.77.0.2/32\"]\n", "peer[0].public_key", "low-order point", "stt-tun pubkey", stc.ErrWeakKey},
		{"endpoint without port", iface + betaPeer + "endpoint = \"198.51.100.7\" # <-\n", "peer[0].endpoint", `"198.51.100.7" has no port`, `"198.51.100.7:51820"`, nil},
		{"endpoint bad port", iface + betaPeer + "endpoint = \"198.51.100.7:65536\" # <-\n", "peer[0].endpoint", `port "65536" in "198.51.100.7:65536" is not a number from 1 to 65535`, "host:port", nil},
		{"endpoint named port", iface + betaPeer + "endpoint = \"vpn.example.com:wg\" # <-\n", "peer[0].endpoint", `port "wg"`, "host:port", nil},
		{"endpoint IPv6 without brackets", iface + betaPeer + "endpoint = \"2001:db8::1:51820\" # <-\n", "peer[0].endpoint", "must be written in brackets", `"[2001:db8::1]:51820"`, nil},
		{"endpoint IPv6 without port", iface + betaPeer + "endpoint = \"2001:db8::1\" # <-\n", "peer[0].endpoint", "needs brackets", "host:port", nil},
		{"endpoint no host", iface + betaPeer + "endpoint = \":51820\" # <-\n", "peer[0].endpoint", "has no host", "host:port", nil},
		{"endpoint bad host", iface + betaPeer + "endpoint = \"198.51.100.700:51820\" # <-\n", "peer[0].endpoint", `host "198.51.100.700" is neither an IP address nor a valid host name`, "host:port", nil},
		{"keepalive without unit", iface + betaPeer + "persistent_keepalive = \"25\" # <-\n", "peer[0].persistent_keepalive", `"25" is not a duration`, `or a number of seconds such as 25`, nil},
		{"keepalive negative", iface + betaPeer + "persistent_keepalive = -5 # <-\n", "peer[0].persistent_keepalive", "-5 seconds is out of range", "at most 65535 seconds", nil},
		{"keepalive negative duration", iface + betaPeer + "persistent_keepalive = \"-5s\" # <-\n", "peer[0].persistent_keepalive", "-5s is negative", "at most 65535", nil},
		{"keepalive too long", iface + betaPeer + "persistent_keepalive = \"19h\" # <-\n", "peer[0].persistent_keepalive", "19h0m0s is longer than the maximum of 18h12m15s", "at most 65535 seconds", nil},
		{"keepalive too short", iface + betaPeer + "persistent_keepalive = \"10ms\" # <-\n", "peer[0].persistent_keepalive", "shorter than one second", `"25s"`, nil},
		{"allowed ip bad", iface + peer("beta", betaPub, `["10.77.0.2/33"] # <-`, ""), "peer[0].allowed_ips[0]", `"10.77.0.2/33" is not a valid prefix`, `"10.77.0.2/32"`, nil},
		{"allowed ip garbage", iface + peer("beta", betaPub, `["beta"] # <-`, ""), "peer[0].allowed_ips[0]", `"beta" is not a valid prefix`, "prefix length", nil},
		{"allowed ips overlap", iface + betaPeer + peer("gamma", gammaPub, `["10.77.0.3/32", "10.77.0.2/32"] # <-`, ""), "peer[1].allowed_ips[1]", `10.77.0.2/32 is claimed by both peer "gamma" and peer "beta" (peer[0].allowed_ips[0], line 8)`, "remove it from one of the two peers", routing.ErrOverlap},
		{"allowed ips overlap after masking", iface + peer("beta", betaPub, `["192.168.50.0/24"]`, "") + peer("gamma", gammaPub, `["192.168.50.9/24"] # <-`, ""), "peer[1].allowed_ips[0]", `192.168.50.0/24 is claimed by both peer "gamma" and peer "beta"`, "one of the two peers", routing.ErrOverlap},
		{"allowed ips twice in one peer", iface + peer("beta", betaPub, `["10.77.0.0/24", "10.77.0.5/24"] # <-`, ""), "peer[0].allowed_ips[1]", "10.77.0.0/24 is listed twice for this peer (also allowed_ips[0]", "/32", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Parse("stt0.toml", []byte(tt.text))
			require.Error(t, err)
			require.Nil(t, c)
			var e *config.Error
			require.ErrorAs(t, err, &e)
			var es config.Errors
			require.False(t, errors.As(err, &es), "want exactly one problem, got:\n%v", err)
			require.Equal(t, "stt0.toml", e.File)
			require.Equal(t, tt.key, e.Key, "%v", err)
			require.Equal(t, markedLine(tt.text), e.Line, "%v", err)
			require.Contains(t, e.Msg, tt.msg)
			require.Contains(t, e.Fix, tt.fix)
			require.NotContains(t, e.Error(), "\n")
			require.NotContains(t, e.Error(), alphaPriv)
			if tt.is != nil {
				require.ErrorIs(t, err, tt.is)
			}
		})
	}
}

// TestParseGood parses a file that sets every key and checks every field,
// then renders the result and parses it again.
func TestParseGood(t *testing.T) {
	text := `[interface]
name = "stt7"
private_key = "` + alphaPriv + `"
shared_seed = "` + netSeed + `"
address = ["10.77.0.1/24", "fd77::1/64"]
listen_port = 0
mtu = 1280
txqueuelen = 500
scheduling = " Normal"
control_socket = "/run/test/stt7.sock"
log_level = "WARN"
metrics_address = "[::1]:9586"

[[peer]]
name = "beta"
public_key = "` + betaPub + `"
endpoint = "[2001:db8::7]:51820"
allowed_ips = ["10.77.0.2/32", "fd77::2/128", "192.168.50.9/24", "::ffff:10.9.0.0/112"]
persistent_keepalive = "1m30s"

[[peer]]
name = "gamma"
public_key = "` + gammaPub + `"
endpoint = "gamma.example.com:4500"
allowed_ips = ["10.77.0.3"]
persistent_keepalive = 25

[[peer]]
name = "delta"
public_key = "` + deltaPub + `"
allowed_ips = ["0.0.0.0/0", "::/0"]
persistent_keepalive = "off"
`
	priv, err := stc.ParsePrivateKey(alphaPriv)
	require.NoError(t, err)
	seed, err := stc.ParseSharedSeed(netSeed)
	require.NoError(t, err)
	pub := func(s string) stc.PublicKey {
		k, err := stc.ParsePublicKey(s)
		require.NoError(t, err)
		return k
	}
	p := netip.MustParsePrefix
	want := &config.Config{
		Path: "/etc/stt-tun/stt7.toml",
		Interface: config.Interface{
			Name:           "stt7",
			PrivateKey:     priv,
			SharedSeed:     seed,
			Addresses:      []netip.Prefix{p("10.77.0.1/24"), p("fd77::1/64")},
			ListenPort:     0,
			MTU:            1280,
			TxQueueLen:     500,
			Scheduling:     schedpolicy.Normal,
			ControlSocket:  "/run/test/stt7.sock",
			LogLevel:       slog.LevelWarn,
			MetricsAddress: "[::1]:9586",
		},
		Peers: []config.Peer{
			{
				Name:                "beta",
				PublicKey:           pub(betaPub),
				Endpoint:            "[2001:db8::7]:51820",
				AllowedIPs:          []netip.Prefix{p("10.77.0.2/32"), p("fd77::2/128"), p("192.168.50.0/24"), p("10.9.0.0/16")},
				PersistentKeepalive: 90 * time.Second,
			},
			{
				Name:                "gamma",
				PublicKey:           pub(gammaPub),
				Endpoint:            "gamma.example.com:4500",
				AllowedIPs:          []netip.Prefix{p("10.77.0.3/32")},
				PersistentKeepalive: 25 * time.Second,
			},
			{
				Name:       "delta",
				PublicKey:  pub(deltaPub),
				AllowedIPs: []netip.Prefix{p("0.0.0.0/0"), p("::/0")},
			},
		},
	}
	got, err := config.Parse("/etc/stt-tun/stt7.toml", []byte(text))
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.NoError(t, got.Validate())

	again, err := config.Parse("/etc/stt-tun/stt7.toml", render(got))
	require.NoError(t, err)
	require.Equal(t, want, again)
}

// TestParseDefaults checks the value of every key left out.
func TestParseDefaults(t *testing.T) {
	c, err := config.Parse("x.toml", []byte(iface))
	require.NoError(t, err)
	in := c.Interface
	require.Equal(t, config.DefaultName, in.Name)
	require.Equal(t, uint16(config.DefaultListenPort), in.ListenPort)
	require.Equal(t, config.DefaultMTU, in.MTU)
	require.Equal(t, config.DefaultTxQueueLen, in.TxQueueLen)
	require.Equal(t, schedpolicy.Batch, in.Scheduling)
	require.Equal(t, "/run/stt-tun/stt0.sock", in.ControlSocket)
	require.Equal(t, slog.LevelInfo, in.LogLevel)
	require.Empty(t, in.MetricsAddress)
	require.Nil(t, in.SharedSeed)
	require.Empty(t, c.Peers)

	c, err = config.Parse("x.toml", []byte(iface+"name = \"wg9\"\n"))
	require.NoError(t, err)
	require.Equal(t, "/run/stt-tun/wg9.sock", c.Interface.ControlSocket, "the default socket follows the name")
}

// TestParseInlineTables accepts the same file written with inline tables
// and dotted keys, and reports problems in it with the same key paths.
func TestParseInlineTables(t *testing.T) {
	text := `interface = { private_key = "` + alphaPriv + `", address = ["10.77.0.1/24"] }
peer = [
  { name = "beta", public_key = "` + betaPub + `", allowed_ips = ["10.77.0.2/32"] },
  { name = "gamma", public_key = "` + gammaPub + `", allowed_ips = ["10.77.0.3/32"] },
]
`
	c, err := config.Parse("x.toml", []byte(text))
	require.NoError(t, err)
	require.Len(t, c.Peers, 2)
	require.Equal(t, "gamma", c.Peers[1].Name)

	dotted := "interface.private_key = \"" + alphaPriv + "\"\ninterface.address = [\"10.77.0.1/24\"]\ninterface.mtu = 100\n"
	_, err = config.Parse("x.toml", []byte(dotted))
	var e *config.Error
	require.ErrorAs(t, err, &e)
	require.Equal(t, "interface.mtu", e.Key)
	require.Equal(t, 3, e.Line)

	bad := strings.Replace(text, `"10.77.0.3/32"`, `"10.77.0.2/32"`, 1)
	_, err = config.Parse("x.toml", []byte(bad))
	require.ErrorAs(t, err, &e)
	require.Equal(t, "peer[1].allowed_ips[0]", e.Key)
	require.Equal(t, 4, e.Line)
	require.Contains(t, e.Msg, "(peer[0].allowed_ips[0], line 3)")
}

// TestParseMultipleErrors checks that every problem of a file is reported
// at once, ordered by line, and that errors.As finds the first.
func TestParseMultipleErrors(t *testing.T) {
	text := `[interface]
private_key = "` + alphaPriv + `"
address = ["10.77.0.1/24", "10.77.0.300/24"]
mtu = 100
colour = "blue"

[[peer]]
name = "beta"
public_key = "` + betaPub + `"
allowed_ips = ["10.77.0.2/32"]
endpoint = "198.51.100.7"

[[peer]]
name = "beta"
public_key = "not a key"
allowed_ips = ["10.77.0.2/32"]
persistent_keepalive = "soon"
`
	_, err := config.Parse("stt0.toml", []byte(text))
	var es config.Errors
	require.ErrorAs(t, err, &es)
	type kl struct {
		key  string
		line int
	}
	var got []kl
	for _, e := range es {
		got = append(got, kl{e.Key, e.Line})
	}
	require.Equal(t, []kl{
		{"interface.address[1]", 3},
		{"interface.mtu", 4},
		{"interface.colour", 5},
		{"peer[0].endpoint", 11},
		{"peer[1].name", 14},
		{"peer[1].public_key", 15},
		{"peer[1].allowed_ips[0]", 16},
		{"peer[1].persistent_keepalive", 17},
	}, got)

	var first *config.Error
	require.ErrorAs(t, err, &first)
	require.Same(t, es[0], first)
	lines := strings.Split(err.Error(), "\n")
	require.Len(t, lines, len(es))
	for i, l := range lines {
		require.Equal(t, es[i].Error(), l)
	}
	require.True(t, strings.HasPrefix(lines[1], "stt0.toml:4: interface.mtu: mtu 100 is out of range"), lines[1])
}

// TestParseUnknownAndSemantic: unknown keys do not stop the other checks,
// but a wrong type does (the values decoded cannot be trusted then).
func TestParseUnknownAndSemantic(t *testing.T) {
	_, err := config.Parse("x.toml", []byte(iface+"mtu = 100\nfoo = 1\n"))
	var es config.Errors
	require.ErrorAs(t, err, &es)
	require.Len(t, es, 2)
	require.Equal(t, "interface.mtu", es[0].Key)
	require.Equal(t, "interface.foo", es[1].Key)

	_, err = config.Parse("x.toml", []byte(iface+"mtu = \"100\"\nlisten_port = \"1\"\nfoo = 1\n"))
	require.ErrorAs(t, err, &es)
	require.Len(t, es, 3, "all type errors and unknown keys at once: %v", err)
	require.Equal(t, "interface.mtu", es[0].Key)
	require.Equal(t, "interface.listen_port", es[1].Key)
	require.Equal(t, "interface.foo", es[2].Key)
}

// TestNoSecretInErrors feeds secrets that are wrong in several ways and
// checks that no message repeats them.
func TestNoSecretInErrors(t *testing.T) {
	const secret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"
	dir := t.TempDir()
	writeFile(t, dir, "bad.key", secret+"\n", 0o600)
	writeFile(t, dir, "open.key", secret+"\n", 0o644)
	writeFile(t, dir, "bad.seed", secret+"*\n", 0o600)
	for _, text := range []string{
		"[interface]\nprivate_key = \"" + secret + "\"\naddress = [\"10.77.0.1/24\"]\n",
		"[interface]\nprivate_key = \"" + secret + "\naddress = [\"10.77.0.1/24\"]\n",
		"[interface]\nprivate_key = " + secret + "\"\n",
		"[interface]\nprivate_key = \"" + secret + "\"\nprivate_key = \"" + secret + "\"\n",
		iface + "shared_seed = \"" + secret[:12] + "\"\n",
		iface + "shared_seed = 1" + secret + "\n",
		"[interface]\nprivate_key_file = \"bad.key\"\naddress = [\"10.77.0.1/24\"]\n",
		"[interface]\nprivate_key_file = \"open.key\"\naddress = [\"10.77.0.1/24\"]\n",
		iface + "shared_seed_file = \"bad.seed\"\n",
	} {
		_, err := config.Parse(filepath.Join(dir, "stt0.toml"), []byte(text))
		require.Error(t, err)
		require.NotContains(t, err.Error(), secret)
		require.NotContains(t, err.Error(), secret[:12])
	}
}

// TestErrorFormat checks the one-line form of an Error.
func TestErrorFormat(t *testing.T) {
	tests := []struct {
		e    config.Error
		want string
	}{
		{config.Error{File: "stt0.toml", Line: 14, Key: "peer[1].public_key", Msg: "not a valid public key", Fix: "paste the output of `stt-tun pubkey` on that host"},
			"stt0.toml:14: peer[1].public_key: not a valid public key (fix: paste the output of `stt-tun pubkey` on that host)"},
		{config.Error{File: "stt0.toml", Key: "interface", Msg: "missing", Fix: "add it"}, "stt0.toml: interface: missing (fix: add it)"},
		{config.Error{File: "stt0.toml", Line: 3, Msg: "column 7: bad", Fix: "correct it"}, "stt0.toml:3: column 7: bad (fix: correct it)"},
		{config.Error{Key: "interface.mtu", Msg: "too small"}, "interface.mtu: too small"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, tt.e.Error())
	}
	cause := errors.New("cause")
	require.ErrorIs(t, &config.Error{Msg: "x", Err: cause}, cause)
	require.ErrorIs(t, config.Errors{{Msg: "a"}, {Msg: "b", Err: cause}}, cause)
}

// TestValidate checks a Config built in code.
func TestValidate(t *testing.T) {
	good := func() *config.Config {
		c, err := config.Parse("x.toml", []byte(iface+betaPeer+gammaPeer))
		require.NoError(t, err)
		return c
	}
	require.NoError(t, good().Validate())

	tests := []struct {
		name   string
		change func(c *config.Config)
		key    string
	}{
		{"zero private key", func(c *config.Config) { c.Interface.PrivateKey = stc.PrivateKey{} }, "interface.private_key"},
		{"short seed", func(c *config.Config) { c.Interface.SharedSeed = []byte("short") }, "interface.shared_seed"},
		{"zero MTU", func(c *config.Config) { c.Interface.MTU = 0 }, "interface.mtu"},
		{"zero txqueuelen", func(c *config.Config) { c.Interface.TxQueueLen = 0 }, "interface.txqueuelen"},
		{"odd scheduling", func(c *config.Config) { c.Interface.Scheduling = 1 }, "interface.scheduling"},
		{"no socket", func(c *config.Config) { c.Interface.ControlSocket = "" }, "interface.control_socket"},
		{"odd log level", func(c *config.Config) { c.Interface.LogLevel = slog.LevelInfo + 1 }, "interface.log_level"},
		{"invalid address", func(c *config.Config) { c.Interface.Addresses[0] = netip.Prefix{} }, "interface.address[0]"},
		{"unmasked allowed ip", func(c *config.Config) { c.Peers[1].AllowedIPs[0] = netip.MustParsePrefix("10.77.0.3/24") }, "peer[1].allowed_ips[0]"},
		{"mapped allowed ip", func(c *config.Config) { c.Peers[1].AllowedIPs[0] = netip.MustParsePrefix("::ffff:10.77.0.3/128") }, "peer[1].allowed_ips[0]"},
		{"weak public key", func(c *config.Config) { c.Peers[0].PublicKey = stc.PublicKey{}; c.Peers[0].PublicKey[0] = 1 }, "peer[0].public_key"},
		{"same name", func(c *config.Config) { c.Peers[1].Name = "beta" }, "peer[1].name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good()
			tt.change(c)
			err := c.Validate()
			var e *config.Error
			require.ErrorAs(t, err, &e)
			require.Equal(t, tt.key, e.Key, "%v", err)
			require.Equal(t, "x.toml", e.File)
			require.Zero(t, e.Line)
		})
	}
	var nilConfig *config.Config
	require.Error(t, nilConfig.Validate())
}

// TestExampleFile keeps testdata/example.toml valid: it is parsed with its
// key and seed files created where it expects them (moved to a temporary
// directory).
func TestExampleFile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "example.toml"))
	require.NoError(t, err)
	dir := t.TempDir()
	writeFile(t, dir, "private.key", alphaPriv+"\n", 0o600)
	writeFile(t, dir, "network.seed", netSeed+"\n", 0o600)
	text := strings.ReplaceAll(string(data), "/etc/stt-tun/", dir+"/")
	require.NotEqual(t, string(data), text, "the example names its key files under /etc/stt-tun/")
	path := writeFile(t, dir, "stt0.toml", text, 0o644)

	c, err := config.Load(path)
	require.NoError(t, err)
	require.Equal(t, "stt0", c.Interface.Name)
	require.Equal(t, alphaPub, c.Interface.PrivateKey.PublicKey().String())
	require.Len(t, c.Interface.SharedSeed, 32)
	require.Len(t, c.Interface.Addresses, 2)
	require.Equal(t, config.DefaultTxQueueLen, c.Interface.TxQueueLen)
	require.Equal(t, config.DefaultScheduling, c.Interface.Scheduling)
	require.Len(t, c.Peers, 2)
	require.Equal(t, betaPub, c.Peers[0].PublicKey.String())
	require.Equal(t, 25*time.Second, c.Peers[0].PersistentKeepalive)
	require.Equal(t, "gamma", c.Peers[1].Name)
	require.Empty(t, c.Peers[1].Endpoint)
}

// TestParseMisspeltSection: a misspelt key or section is reported once, not
// again as missing.
func TestParseMisspeltSection(t *testing.T) {
	text := "[interfaces]\nprivate_key = \"" + alphaPriv + "\"\naddress = [\"10.77.0.1/24\"]\n" + betaPeer
	_, err := config.Parse("x.toml", []byte(text))
	var e *config.Error
	require.ErrorAs(t, err, &e)
	var es config.Errors
	require.False(t, errors.As(err, &es), "one problem only: %v", err)
	require.Equal(t, "interfaces", e.Key)
	require.Contains(t, e.Msg, "did you mean [interface]?")

	_, err = config.Parse("x.toml", []byte("[interface]\nprivate_key = \""+alphaPriv+"\"\nadress = [\"10.77.0.1/24\"]\n"))
	require.ErrorAs(t, err, &e)
	require.False(t, errors.As(err, &es), "one problem only: %v", err)
	require.Equal(t, "interface.adress", e.Key)
}
