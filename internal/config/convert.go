package config

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/seigr/stt-tun/internal/schedpolicy"
	"github.com/seigr/stt-tun/sttcore/stc"
)

// rawConfig is the file as go-toml decodes it. Pointers tell an absent key
// from an empty value where the difference matters.
type rawConfig struct {
	Interface *rawInterface `toml:"interface"`
	Peers     []rawPeer     `toml:"peer"`
}

type rawInterface struct {
	Name           *string  `toml:"name"`
	PrivateKeyFile *string  `toml:"private_key_file"`
	PrivateKey     *string  `toml:"private_key"`
	SharedSeedFile *string  `toml:"shared_seed_file"`
	SharedSeed     *string  `toml:"shared_seed"`
	Address        []string `toml:"address"`
	ListenPort     *int64   `toml:"listen_port"`
	MTU            *int64   `toml:"mtu"`
	TxQueueLen     *int64   `toml:"txqueuelen"`
	Scheduling     *string  `toml:"scheduling"`
	ControlSocket  *string  `toml:"control_socket"`
	LogLevel       *string  `toml:"log_level"`
	MetricsAddress string   `toml:"metrics_address"`
}

type rawPeer struct {
	Name                string   `toml:"name"`
	PublicKey           string   `toml:"public_key"`
	Endpoint            string   `toml:"endpoint"`
	AllowedIPs          []string `toml:"allowed_ips"`
	PersistentKeepalive any      `toml:"persistent_keepalive"` // string or int64
}

const (
	keyPrivateKey     = "interface.private_key"
	keyPrivateKeyFile = "interface.private_key_file"
	keySharedSeed     = "interface.shared_seed"
	keySharedSeedFile = "interface.shared_seed_file"
)

// convert turns the decoded file into a Config, filling in defaults and
// reporting values that do not parse. An invalid address or prefix is kept
// as the zero netip.Prefix, so that indices in later messages still match
// the file. info describes the configuration file, or is nil.
func (r *rawConfig) convert(p *problems, info fs.FileInfo) *Config {
	c := &Config{Path: p.file}
	if r.Interface == nil {
		p.report("interface", "the [interface] section is missing",
			"add an [interface] section with at least private_key_file and address (see the example configuration)", nil)
	} else {
		r.convertInterface(p, r.Interface, &c.Interface, info)
	}
	c.Peers = make([]Peer, len(r.Peers))
	for i := range r.Peers {
		r.Peers[i].convert(p, fmt.Sprintf("peer[%d]", i), &c.Peers[i])
	}
	return c
}

func (r *rawConfig) convertInterface(p *problems, ri *rawInterface, c *Interface, info fs.FileInfo) {
	c.Name = DefaultName
	if ri.Name != nil {
		c.Name = *ri.Name
	}

	switch {
	case ri.PrivateKey != nil && ri.PrivateKeyFile != nil:
		p.add(keyPrivateKey, "both private_key and private_key_file are set",
			"keep one of them; private_key_file keeps the key out of the configuration file", nil)
	case ri.PrivateKey != nil:
		k, err := stc.ParsePrivateKey(*ri.PrivateKey)
		if err != nil {
			p.add(keyPrivateKey, "not a valid private key: "+keyProblem(err),
				"generate one with `stt-tun genkey` (better: write it to a file and set private_key_file)", err)
		}
		c.PrivateKey = k
		p.checkInlineSecret(keyPrivateKey, "private key", info)
	case ri.PrivateKeyFile != nil:
		name := resolve(p.file, *ri.PrivateKeyFile)
		if *ri.PrivateKeyFile == "" {
			p.add(keyPrivateKeyFile, "is empty", `give the path of the key file, e.g. private_key_file = "/etc/stt-tun/private.key"`, nil)
			break
		}
		if text, ok := p.readSecret(keyPrivateKeyFile, privateKeyFile, name); ok {
			name = quotePath(name)
			k, err := stc.ParsePrivateKey(text)
			if err != nil {
				p.add(keyPrivateKeyFile, fmt.Sprintf("private key file %s does not hold a valid private key: %s", name, keyProblem(err)),
					fmt.Sprintf("write the output of `stt-tun genkey` into %s", name), err)
			}
			c.PrivateKey = k
		}
	default:
		p.report(keyPrivateKey, "no private key is configured",
			"generate one with `(umask 077; stt-tun genkey > /etc/stt-tun/private.key)` and add private_key_file = \"/etc/stt-tun/private.key\"", nil)
	}

	switch {
	case ri.SharedSeed != nil && ri.SharedSeedFile != nil:
		p.add(keySharedSeed, "both shared_seed and shared_seed_file are set",
			"keep one of them; shared_seed_file keeps the seed out of the configuration file", nil)
	case ri.SharedSeed != nil:
		seed, err := stc.ParseSharedSeed(*ri.SharedSeed)
		if err != nil {
			p.add(keySharedSeed, fmt.Sprintf("not a valid shared seed: it must be base64 of at least %d bytes", stc.MinSharedSeed),
				"use the output of `stt-tun genseed`, the same on every node of the network", err)
		}
		c.SharedSeed = seed
		p.checkInlineSecret(keySharedSeed, "shared seed", info)
	case ri.SharedSeedFile != nil:
		name := resolve(p.file, *ri.SharedSeedFile)
		if *ri.SharedSeedFile == "" {
			p.add(keySharedSeedFile, "is empty", "give the path of the seed file, or remove the line for an open network", nil)
			break
		}
		if text, ok := p.readSecret(keySharedSeedFile, sharedSeedFile, name); ok {
			name = quotePath(name)
			seed, err := stc.ParseSharedSeed(text)
			if err != nil {
				p.add(keySharedSeedFile, fmt.Sprintf("shared seed file %s does not hold a valid shared seed: it must be base64 of at least %d bytes", name, stc.MinSharedSeed),
					fmt.Sprintf("write the output of `stt-tun genseed` into %s, the same on every node", name), err)
			}
			c.SharedSeed = seed
		}
	}

	c.Addresses = make([]netip.Prefix, len(ri.Address))
	for i, s := range ri.Address {
		key := elemPath("interface.address", i)
		pfx, msg, fix := parseInterfaceAddress(s)
		if msg != "" {
			p.add(key, msg, fix, nil)
		}
		c.Addresses[i] = pfx
	}

	c.ListenPort = DefaultListenPort
	if ri.ListenPort != nil {
		if v := *ri.ListenPort; v < 0 || v > 65535 {
			p.add("interface.listen_port", fmt.Sprintf("port %d is out of range", v),
				"use a port from 1 to 65535 (the default is 51820), or 0 for a random one", nil)
		} else {
			c.ListenPort = uint16(v)
		}
	}

	c.MTU = DefaultMTU
	if ri.MTU != nil {
		if v := *ri.MTU; v < MinMTU || v > MaxMTU {
			p.add("interface.mtu", mtuRangeMsg(v), mtuRangeFix, nil)
		} else {
			c.MTU = int(v)
		}
	}

	c.TxQueueLen = DefaultTxQueueLen
	if ri.TxQueueLen != nil {
		if v := *ri.TxQueueLen; v < 1 || v > MaxTxQueueLen {
			p.add("interface.txqueuelen", txQueueLenRangeMsg(v), txQueueLenFix, nil)
		} else {
			c.TxQueueLen = int(v)
		}
	}

	c.Scheduling = DefaultScheduling
	if ri.Scheduling != nil {
		pol, err := schedpolicy.Parse(strings.ToLower(strings.TrimSpace(*ri.Scheduling)))
		if err != nil {
			p.add("interface.scheduling", fmt.Sprintf("unknown scheduling policy %q", *ri.Scheduling), schedulingFix, nil)
		}
		c.Scheduling = pol
	}

	c.ControlSocket = DefaultControlSocket(c.Name)
	if ri.ControlSocket != nil {
		c.ControlSocket = *ri.ControlSocket
	}

	c.LogLevel = DefaultLogLevel
	if ri.LogLevel != nil {
		l, ok := parseLogLevel(*ri.LogLevel)
		if !ok {
			p.add("interface.log_level", fmt.Sprintf("unknown log level %q", *ri.LogLevel), logLevelFix, nil)
		}
		c.LogLevel = l
	}

	c.MetricsAddress = ri.MetricsAddress
}

// checkInlineSecret reports a secret written into a configuration file that
// group or others may read.
func (p *problems) checkInlineSecret(key, what string, info fs.FileInfo) {
	if info == nil || !insecureMode(info.Mode()) {
		return
	}
	field := key[strings.IndexByte(key, '.')+1:]
	file := quotePath(p.file)
	p.add(key,
		fmt.Sprintf("the %s is written inline, but %s has mode %04o: group or others can read it", what, file, info.Mode().Perm()),
		fmt.Sprintf("chmod 600 %s, or move the %s to a file of its own (%s_file)", file, what, field),
		ErrInsecureMode)
}

func (rp *rawPeer) convert(p *problems, prefix string, c *Peer) {
	c.Name = rp.Name
	c.Endpoint = rp.Endpoint
	if rp.PublicKey != "" {
		k, err := stc.ParsePublicKey(rp.PublicKey)
		if err != nil {
			p.add(prefix+".public_key", "not a valid public key: "+keyProblem(err),
				"paste the output of `stt-tun pubkey` on that host", err)
		}
		c.PublicKey = k
	}
	c.AllowedIPs = make([]netip.Prefix, len(rp.AllowedIPs))
	for i, s := range rp.AllowedIPs {
		key := elemPath(prefix+".allowed_ips", i)
		pfx, msg, fix := parseAllowedIP(s)
		if msg != "" {
			p.add(key, msg, fix, nil)
		}
		c.AllowedIPs[i] = pfx
	}
	key := prefix + ".persistent_keepalive"
	switch v := rp.PersistentKeepalive.(type) {
	case nil:
	case int64:
		if v < 0 || v > int64(MaxPersistentKeepalive/time.Second) {
			p.add(key, fmt.Sprintf("%d seconds is out of range", v), keepaliveFix, nil)
			break
		}
		c.PersistentKeepalive = time.Duration(v) * time.Second
	case string:
		if v == "" || v == "off" {
			break
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			p.add(key, fmt.Sprintf("%q is not a duration", v), keepaliveFix, err)
			break
		}
		c.PersistentKeepalive = d
	default: // the schema check lets nothing else through
		p.add(key, "is neither a duration string nor an integer", keepaliveFix, nil)
	}
}

const (
	keepaliveFix = `write a duration such as "25s" or "1m", or a number of seconds such as 25; 0 or "off" turns it off; at most 65535 seconds`
	logLevelFix  = `use one of "debug", "info", "warn", "error"`
	// txQueueLenFix and schedulingFix explain the defaults, which are
	// measured choices (docs/performance.md).
	txQueueLenFix = "use a length from 1 to 1048576 packets; the default 4000 absorbs a sender's bursts, a shorter queue adds less delay when the tunnel is overloaded"
	schedulingFix = `use "batch" (the default: the daemon never preempts the applications it carries) or "normal"`
	mtuRangeFix   = "use a value from 576 to 65535 (1280 or more with IPv6); the default 1419 fits a 1500-byte IPv4 or IPv6 path"
)

func txQueueLenRangeMsg(v int64) string {
	return fmt.Sprintf("txqueuelen %d is out of range 1..%d", v, MaxTxQueueLen)
}

func mtuRangeMsg(v int64) string {
	return fmt.Sprintf("mtu %d is out of range %d..%d", v, MinMTU, MaxMTU)
}

// keyProblem says in words what an stc key parser rejected.
func keyProblem(err error) string {
	switch {
	case errors.Is(err, stc.ErrWeakKey):
		return "it is a low-order point, with which no secret can be agreed"
	case errors.Is(err, stc.ErrZeroKey):
		return "it is all zeros"
	}
	return "it must be base64 of 32 bytes"
}

// parseLogLevel parses one of the four level names, in any case.
func parseLogLevel(s string) (slog.Level, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, true
	case "info":
		return slog.LevelInfo, true
	case "warn":
		return slog.LevelWarn, true
	case "error":
		return slog.LevelError, true
	}
	return DefaultLogLevel, false
}

// logLevelName is the inverse of parseLogLevel.
func logLevelName(l slog.Level) (string, bool) {
	switch l {
	case slog.LevelDebug:
		return "debug", true
	case slog.LevelInfo:
		return "info", true
	case slog.LevelWarn:
		return "warn", true
	case slog.LevelError:
		return "error", true
	}
	return "", false
}

// prefixProblem says what netip.ParsePrefix rejected, without repeating the
// input it quotes.
func prefixProblem(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, "): "); i >= 0 {
		s = s[i+3:]
	}
	return s
}

// parseInterfaceAddress parses an interface address: an address with the
// prefix length of its subnet, host part kept.
func parseInterfaceAddress(s string) (pfx netip.Prefix, msg, fix string) {
	s = strings.TrimSpace(s)
	pfx, err := netip.ParsePrefix(s)
	if err == nil {
		return pfx, "", ""
	}
	if a, aerr := netip.ParseAddr(s); aerr == nil {
		one, subnet := "32", "24"
		if a.Is6() {
			one, subnet = "128", "64"
		}
		return netip.Prefix{}, fmt.Sprintf("address %q has no prefix length", s),
			fmt.Sprintf("write it with the length of the tunnel subnet, e.g. %q, or %q for the address alone", s+"/"+subnet, s+"/"+one)
	}
	return netip.Prefix{}, fmt.Sprintf("%q is not a valid address/prefix: %s", s, prefixProblem(err)),
		`write an address and the prefix length of its subnet, e.g. "10.77.0.1/24" or "fd77::1/64"`
}

// parseAllowedIP parses an allowed_ips entry into canonical form: host bits
// masked and IPv4-mapped IPv6 unmapped, as package routing stores it. A bare
// address stands for itself alone (/32 or /128), as in WireGuard.
func parseAllowedIP(s string) (pfx netip.Prefix, msg, fix string) {
	s = strings.TrimSpace(s)
	pfx, err := netip.ParsePrefix(s)
	if err != nil {
		a, aerr := netip.ParseAddr(s)
		if aerr != nil || a.Zone() != "" {
			return netip.Prefix{}, fmt.Sprintf("%q is not a valid prefix: %s", s, prefixProblem(err)),
				`write an address with a prefix length, e.g. "10.77.0.2/32" or "192.168.50.0/24"`
		}
		pfx = netip.PrefixFrom(a, a.BitLen())
	}
	return canonicalPrefix(pfx), "", ""
}

// canonicalPrefix masks pfx and unmaps an IPv4-mapped IPv6 prefix of at
// least 96 bits, as package routing does.
func canonicalPrefix(pfx netip.Prefix) netip.Prefix {
	if a := pfx.Addr(); a.Is4In6() && pfx.Bits() >= 96 {
		pfx = netip.PrefixFrom(a.Unmap(), pfx.Bits()-96)
	}
	return pfx.Masked()
}
