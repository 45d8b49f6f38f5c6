package tun

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConfigDefaults(t *testing.T) {
	addrs := []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24")}
	c, err := Config{Addresses: addrs}.withDefaults()
	require.NoError(t, err)
	require.Equal(t, DefaultName, c.Name)
	require.Equal(t, DefaultMTU, c.MTU)
	require.Equal(t, DefaultTxQueueLen, c.TxQueueLen)
	require.NotNil(t, c.Logger)
	require.Equal(t, addrs, c.Addresses)
	c.Addresses[0] = netip.MustParsePrefix("10.9.9.9/8")
	require.Equal(t, "10.0.0.1/24", addrs[0].String(), "withDefaults must copy Addresses")

	logger := slog.New(slog.DiscardHandler)
	c, err = Config{Name: "x", MTU: 9000, TxQueueLen: 64, RouteMetric: 7, Logger: logger}.withDefaults()
	require.NoError(t, err)
	require.Equal(t, Config{Name: "x", MTU: 9000, TxQueueLen: 64, RouteMetric: 7, Logger: logger}, c)
}

func TestConfigValidation(t *testing.T) {
	v4 := netip.MustParsePrefix("10.0.0.1/24")
	v6 := netip.MustParsePrefix("fd00::1/64")
	tests := []struct {
		name  string
		cfg   Config
		field string // "" means valid
	}{
		{"zero value", Config{}, ""},
		{"IPv4 at the minimum MTU", Config{MTU: 576, Addresses: []netip.Prefix{v4}}, ""},
		{"IPv6 at its minimum MTU", Config{MTU: 1280, Addresses: []netip.Prefix{v4, v6}}, ""},
		{"maximum MTU", Config{MTU: 65535}, ""},
		{"15-byte name", Config{Name: "abcdefghijklmno"}, ""},
		{"name with dot, dash and underscore", Config{Name: "stt.0-a_b"}, ""},
		{"same address in IPv4 and IPv6 form is not a duplicate", Config{Addresses: []netip.Prefix{v4, netip.MustParsePrefix("fd00::a00:1/64")}}, ""},
		{"maximum metric", Config{RouteMetric: 1<<32 - 1}, ""},
		{"maximum queue length", Config{TxQueueLen: MaxTxQueueLen}, ""},
		{"MTU 575", Config{MTU: 575}, "MTU"},
		{"negative MTU", Config{MTU: -1}, "MTU"},
		{"MTU 65536", Config{MTU: 65536}, "MTU"},
		{"IPv6 below 1280", Config{MTU: 1279, Addresses: []netip.Prefix{v6}}, "MTU"},
		{"16-byte name", Config{Name: "abcdefghijklmnop"}, "Name"},
		{"name .", Config{Name: "."}, "Name"},
		{"name ..", Config{Name: ".."}, "Name"},
		{"name with slash", Config{Name: "a/b"}, "Name"},
		{"name with colon", Config{Name: "a:b"}, "Name"},
		{"name with percent", Config{Name: "stt%d"}, "Name"},
		{"name with space", Config{Name: "a b"}, "Name"},
		{"name with NUL", Config{Name: "a\x00b"}, "Name"},
		{"invalid prefix", Config{Addresses: []netip.Prefix{{}}}, "Addresses"},
		{"IPv4-mapped address", Config{Addresses: []netip.Prefix{netip.MustParsePrefix("::ffff:10.0.0.1/120")}}, "Addresses"},
		{"unspecified address", Config{Addresses: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/8")}}, "Addresses"},
		{"multicast address", Config{Addresses: []netip.Prefix{netip.MustParsePrefix("ff02::1/64")}}, "Addresses"},
		{"duplicate address", Config{Addresses: []netip.Prefix{v4, netip.MustParsePrefix("10.0.0.1/32")}}, "Addresses"},
		{"negative queue length", Config{TxQueueLen: -1}, "TxQueueLen"},
		{"queue length too large", Config{TxQueueLen: MaxTxQueueLen + 1}, "TxQueueLen"},
		{"negative metric", Config{RouteMetric: -1}, "RouteMetric"},
		{"metric too large", Config{RouteMetric: 1 << 32}, "RouteMetric"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.cfg.withDefaults()
			if tt.field == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalidConfig)
			var ce *ConfigError
			require.ErrorAs(t, err, &ce)
			require.Equal(t, tt.field, ce.Field)
			require.Contains(t, err.Error(), "tun: invalid configuration: "+tt.field)
			require.NotEmpty(t, ce.Reason)
		})
	}
}

func TestErrorMessages(t *testing.T) {
	cause := errors.New("cause")
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{"permission", &Error{Op: "create", Name: "stt0", Kind: ErrPermission, Err: cause},
			"tun: create on stt0: permission denied: cause; run as root or grant CAP_NET_ADMIN"},
		{"no TUN", &Error{Op: "create", Name: "stt0", Kind: ErrNoTUNDevice},
			"tun: create on stt0: no TUN support (/dev/net/tun); load the tun module: modprobe tun"},
		{"name in use", &Error{Op: "create", Name: "wg0", Kind: ErrNameInUse},
			"tun: create on wg0: interface name already in use; choose another interface name or remove it: ip link del wg0"},
		{"route exists", &Error{Op: "add route", Name: "stt0", Prefix: netip.MustParsePrefix("10.1.0.0/16"), Kind: ErrRouteExists, Err: cause},
			"tun: add route 10.1.0.0/16 on stt0: route exists through another interface: cause; remove the other route (ip route del 10.1.0.0/16) or choose another RouteMetric"},
		{"plain cause", &Error{Op: "add address", Name: "stt0", Prefix: netip.MustParsePrefix("fd00::1/64"), Err: cause},
			"tun: add address fd00::1/64 on stt0: cause"},
		{"not supported", &Error{Op: "create", Name: "stt0", Kind: ErrNotSupported},
			"tun: create on stt0: TUN devices are supported on Linux only; run stt-tun on Linux"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tt.err.Error())
			if tt.err.Kind != nil {
				require.ErrorIs(t, tt.err, tt.err.Kind)
			}
			if tt.err.Err != nil {
				require.ErrorIs(t, fmt.Errorf("wrapped: %w", tt.err), cause)
			}
			for _, other := range []error{ErrPermission, ErrNoTUNDevice, ErrNameInUse, ErrRouteExists, ErrNotSupported} {
				if other != tt.err.Kind {
					require.NotErrorIs(t, tt.err, other)
				}
			}
		})
	}
}
