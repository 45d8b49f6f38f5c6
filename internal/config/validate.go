package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/seigr/stt-tun/internal/schedpolicy"
	"github.com/seigr/stt-tun/routing"
	"github.com/seigr/stt-tun/sttcore/stc"
)

// Validate checks a Config that was built or changed in code (e.g. for a
// live peer change) by the rules Parse applies to a file; every field must be
// set, defaults are not filled in. Its errors carry c.Path but no lines. A
// Config returned by Load or Parse is valid.
func (c *Config) Validate() error {
	if c == nil {
		return &Error{Msg: "no configuration", Fix: "load one with config.Load"}
	}
	p := &problems{file: c.Path}
	c.validate(p)
	return p.err()
}

// validate reports every rule c breaks, except on keys with a problem
// already recorded (a value that did not parse is not reported again as
// missing).
func (c *Config) validate(p *problems) {
	if !p.hasExact("interface") { // else the section is missing or misspelt
		c.Interface.validate(p)
	}
	c.validatePeers(p)
}

// report records a problem with key unless one about key, its members or a
// section containing it is known already.
func (p *problems) report(key, msg, fix string, err error) {
	if !p.has(key) {
		p.add(key, msg, fix, err)
	}
}

func (c *Interface) validate(p *problems) {
	nameOK := true
	if msg := checkIfName(c.Name); msg != "" {
		p.report("interface.name", msg, `use 1 to 15 letters, digits, '-' or '_', e.g. name = "stt0"`, nil)
		nameOK = false
	}

	if c.PrivateKey.IsZero() && !p.has(keyPrivateKey) && !p.has(keyPrivateKeyFile) {
		p.report(keyPrivateKey, "no private key is configured",
			"generate one with `(umask 077; stt-tun genkey > /etc/stt-tun/private.key)` and add private_key_file = \"/etc/stt-tun/private.key\"", nil)
	}
	if c.SharedSeed != nil && len(c.SharedSeed) < stc.MinSharedSeed && !p.has(keySharedSeedFile) {
		p.report(keySharedSeed, fmt.Sprintf("the shared seed has %d bytes; at least %d are needed", len(c.SharedSeed), stc.MinSharedSeed),
			"use the output of `stt-tun genseed`", stc.ErrSharedSeed)
	}

	c.validateAddresses(p)

	if c.TxQueueLen < 1 || c.TxQueueLen > MaxTxQueueLen {
		p.report("interface.txqueuelen", txQueueLenRangeMsg(int64(c.TxQueueLen)), txQueueLenFix, nil)
	}
	if c.Scheduling != schedpolicy.Normal && c.Scheduling != schedpolicy.Batch {
		p.report("interface.scheduling", fmt.Sprintf("unknown scheduling policy %v", c.Scheduling), schedulingFix, nil)
	}

	if c.MTU < MinMTU || c.MTU > MaxMTU {
		p.report("interface.mtu", mtuRangeMsg(int64(c.MTU)), mtuRangeFix, nil)
	} else if c.MTU < MinMTUIPv6 {
		for i, a := range c.Addresses {
			if a.IsValid() && a.Addr().Is6() && !a.Addr().Is4In6() {
				p.report("interface.mtu",
					fmt.Sprintf("mtu %d is below %d, the minimum for IPv6, and address[%d] %s is IPv6", c.MTU, MinMTUIPv6, i, a),
					"set mtu = 1280 or more (the default is 1419)", nil)
				break
			}
		}
	}

	const sockFix = `use an absolute path of at most 107 bytes, e.g. control_socket = "/run/stt-tun/stt0.sock", or remove the line for the default`
	switch s := c.ControlSocket; {
	case !nameOK && s == DefaultControlSocket(c.Name):
		// The default follows the name, which is reported already.
	case s == "":
		p.report("interface.control_socket", "is empty", sockFix, nil)
	case !filepath.IsAbs(s):
		p.report("interface.control_socket", fmt.Sprintf("%q is not an absolute path", s), sockFix, nil)
	case len(s) > maxSocketPath:
		p.report("interface.control_socket", fmt.Sprintf("the path is %d bytes long; a unix socket path has at most %d", len(s), maxSocketPath), sockFix, nil)
	case strings.IndexByte(s, 0) >= 0:
		p.report("interface.control_socket", "the path contains a NUL byte", sockFix, nil)
	}

	if _, ok := logLevelName(c.LogLevel); !ok {
		p.report("interface.log_level", fmt.Sprintf("unknown log level %v", c.LogLevel), logLevelFix, nil)
	}

	if c.MetricsAddress != "" {
		if msg := checkHostPort(c.MetricsAddress, true); msg != "" {
			p.report("interface.metrics_address", msg,
				`write host:port, e.g. metrics_address = "127.0.0.1:9586" (keep it local), or "" to turn metrics off`, nil)
		}
	}
}

func (c *Interface) validateAddresses(p *problems) {
	if len(c.Addresses) == 0 {
		p.report("interface.address", "the interface has no address",
			`add address = ["10.77.0.1/24"], this node's address in the tunnel with the prefix length of the tunnel subnet`, nil)
		return
	}
	seen := make(map[netip.Addr]int, len(c.Addresses))
	for i, a := range c.Addresses {
		key := elemPath("interface.address", i)
		switch {
		case !a.IsValid():
			p.report(key, "is not a valid address/prefix", `write e.g. "10.77.0.1/24"`, nil)
			continue
		case a.Addr().IsUnspecified() || a.Addr().IsMulticast():
			p.report(key, fmt.Sprintf("%s is not a usable interface address (unspecified or multicast)", a),
				"use this node's unicast address in the tunnel, e.g. 10.77.0.1/24", nil)
			continue
		}
		if j, dup := seen[a.Addr()]; dup {
			p.report(key, fmt.Sprintf("%s repeats the address of address[%d] (%s)", a, j, c.Addresses[j]),
				"remove one of them", nil)
			continue
		}
		seen[a.Addr()] = i
	}
}

// checkIfName returns what is wrong with a Linux interface name, or "".
func checkIfName(n string) string {
	switch {
	case n == "":
		return "the interface name is empty"
	case len(n) > MaxNameLen:
		return fmt.Sprintf("interface name %q is %d bytes long; Linux allows at most %d", n, len(n), MaxNameLen)
	case n == "." || n == "..":
		return fmt.Sprintf("%q is not a valid interface name", n)
	}
	for _, r := range n {
		if r == '/' || r == ':' || unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError {
			return fmt.Sprintf("interface name %q contains %q, which Linux does not allow", n, r)
		}
	}
	return ""
}

// ipRef names one allowed_ips entry, for routing.CheckOverlaps.
type ipRef struct{ peer, elem int }

func (c *Config) validatePeers(p *problems) {
	var own stc.PublicKey
	if !c.Interface.PrivateKey.IsZero() {
		own = c.Interface.PrivateKey.PublicKey()
	}
	names := make(map[string]int, len(c.Peers))
	keys := make(map[stc.PublicKey]int, len(c.Peers))
	var claims []routing.PeerPrefixes[ipRef]
	for i := range c.Peers {
		pr := &c.Peers[i]
		prefix := fmt.Sprintf("peer[%d]", i)

		switch j, dup := names[pr.Name]; {
		case pr.Name == "":
			p.report(prefix+".name", "the peer has no name",
				`add name = "...", a label unique in this file, used in logs and by stt-tun status`, nil)
		case len(pr.Name) > MaxPeerNameLen || !utf8.ValidString(pr.Name) || strings.ContainsFunc(pr.Name, unicode.IsControl):
			p.report(prefix+".name", fmt.Sprintf("peer name %q is not printable text of at most %d bytes", pr.Name, MaxPeerNameLen),
				"use a short label without control characters", nil)
		case dup:
			p.report(prefix+".name", fmt.Sprintf("name %q is already used by peer[%d]%s", pr.Name, j, p.onLine(fmt.Sprintf("peer[%d]", j))),
				"give each peer a name of its own", nil)
		default:
			names[pr.Name] = i
		}

		pkey := prefix + ".public_key"
		switch j, dup := keys[pr.PublicKey]; {
		case pr.PublicKey.IsZero():
			p.report(pkey, fmt.Sprintf("peer %q has no public_key", pr.Name),
				`add public_key = "...", the output of `+"`stt-tun pubkey`"+` on that host`, nil)
		case p.ix == nil && pr.PublicKey.Check() != nil: // from a file, stc.ParsePublicKey has checked it
			p.report(pkey, "not a valid public key: "+keyProblem(stc.ErrWeakKey),
				"paste the output of `stt-tun pubkey` on that host", stc.ErrWeakKey)
		case pr.PublicKey.Equal(own):
			p.report(pkey, "this is the public key of this node's own private key",
				"paste the public key of the other host (`stt-tun pubkey` run there)", nil)
		case dup:
			p.report(pkey, fmt.Sprintf("peer %q has the same public key as peer %q (peer[%d]%s)", pr.Name, c.Peers[j].Name, j, p.onLine(fmt.Sprintf("peer[%d]", j))),
				"each [[peer]] section describes a different host: correct the key or remove the duplicate section", nil)
		default:
			keys[pr.PublicKey] = i
		}

		if pr.Endpoint != "" {
			if msg := checkHostPort(pr.Endpoint, false); msg != "" {
				p.report(prefix+".endpoint", msg,
					`write host:port, e.g. "198.51.100.7:51820", "[2001:db8::1]:51820" or "vpn.example.com:51820", or remove the line if the peer calls in`, nil)
			}
		}

		if len(pr.AllowedIPs) == 0 {
			p.report(prefix+".allowed_ips", fmt.Sprintf("peer %q has no allowed_ips: no traffic would be routed to it or accepted from it", pr.Name),
				`add allowed_ips = ["10.77.0.2/32"], the peer's tunnel address and the networks behind it`, nil)
		}
		for j, a := range pr.AllowedIPs {
			key := elemPath(prefix+".allowed_ips", j)
			switch {
			case !a.IsValid():
				p.report(key, "is not a valid prefix", `write e.g. "10.77.0.2/32"`, nil)
				continue
			case a != canonicalPrefix(a):
				p.report(key, fmt.Sprintf("%s is not in canonical form (%s)", a, canonicalPrefix(a)),
					"write the network address, with host bits zero", nil)
				continue
			}
			claims = append(claims, routing.PeerPrefixes[ipRef]{Peer: ipRef{i, j}, Prefixes: []netip.Prefix{a}})
		}

		kkey := prefix + ".persistent_keepalive"
		switch k := pr.PersistentKeepalive; {
		case k < 0:
			p.report(kkey, fmt.Sprintf("%v is negative", k), keepaliveFix, nil)
		case k > 0 && k < time.Second:
			p.report(kkey, fmt.Sprintf("%v is shorter than one second", k), keepaliveFix, nil)
		case k > MaxPersistentKeepalive:
			p.report(kkey, fmt.Sprintf("%v is longer than the maximum of %v", k, MaxPersistentKeepalive), keepaliveFix, nil)
		}
	}

	for _, cf := range routing.CheckOverlaps(claims) {
		first, second := cf.First, cf.Second
		key := elemPath(fmt.Sprintf("peer[%d].allowed_ips", second.peer), second.elem)
		firstKey := elemPath(fmt.Sprintf("peer[%d].allowed_ips", first.peer), first.elem)
		if first.peer == second.peer {
			p.report(key, fmt.Sprintf("%s is listed twice for this peer (also allowed_ips[%d]; host bits are masked)", cf.Prefix, first.elem),
				"remove the repetition, or write a single address with /32 (IPv6: /128)", nil)
			continue
		}
		p.report(key, fmt.Sprintf("%s is claimed by both peer %q and peer %q (%s%s); a prefix routes to one peer only",
			cf.Prefix, c.Peers[second.peer].Name, c.Peers[first.peer].Name, firstKey, p.onLine(firstKey)),
			"remove it from one of the two peers (a longer prefix inside it, such as a /32, may go to the other)", routing.ErrOverlap)
	}
}

// onLine returns ", line N" for key, or "" if its line is unknown.
func (p *problems) onLine(key string) string {
	if l := p.ix.line(key); l > 0 {
		return ", line " + strconv.Itoa(l)
	}
	return ""
}

// checkHostPort returns what is wrong with a host:port string, or "". The
// host may be an IP address (IPv6 in brackets) or a DNS name; it may be
// empty (all addresses) only if emptyHost.
func checkHostPort(s string, emptyHost bool) string {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		var ae *net.AddrError
		switch {
		case ipv6NoPort(s):
			return fmt.Sprintf("%q has no port, and an IPv6 address needs brackets before one: [%s]:51820", s, s)
		case errors.As(err, &ae) && ae.Err == "missing port in address":
			return fmt.Sprintf("%q has no port", s)
		case errors.As(err, &ae) && ae.Err == "too many colons in address":
			return fmt.Sprintf("%q: an IPv6 address must be written in brackets before the port, e.g. [2001:db8::1]:51820", s)
		}
		return fmt.Sprintf("%q is not host:port", s)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return fmt.Sprintf("port %q in %q is not a number from 1 to 65535", port, s)
	}
	if host == "" {
		if emptyHost {
			return ""
		}
		return fmt.Sprintf("%q has no host", s)
	}
	if strings.HasPrefix(s, "[") {
		if _, err := netip.ParseAddr(host); err != nil {
			return fmt.Sprintf("%q is not an IP address; only IPv6 addresses go in brackets", host)
		}
		return ""
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return ""
	}
	if !validHostname(host) {
		return fmt.Sprintf("host %q is neither an IP address nor a valid host name", host)
	}
	return ""
}

func ipv6NoPort(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is6()
}

// validHostname reports whether s is a DNS name: dot-separated labels of 1
// to 63 letters, digits, '-' or '_', not starting or ending with '-', at
// most 253 bytes, the last label not all digits (that would be a mistyped
// IPv4 address).
func validHostname(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	last := labels[len(labels)-1]
	return strings.Trim(last, "0123456789") != ""
}
