package main

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/overlay"
	"github.com/seigr/stt-tun/sttcore/stc"
)

func runCLI(stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestKeys(t *testing.T) {
	code, priv, _ := runCLI("", "genkey")
	require.Zero(t, code)
	k, err := stc.ParsePrivateKey(priv)
	require.NoError(t, err)
	code, pub, _ := runCLI(priv, "pubkey")
	require.Zero(t, code)
	want := k.PublicKey()
	require.Equal(t, want.String()+"\n", pub)

	code, seed, _ := runCLI("", "genseed")
	require.Zero(t, code)
	_, err = stc.ParseSharedSeed(seed)
	require.NoError(t, err)

	code, _, errOut := runCLI("not a key\n", "pubkey")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "stt-tun genkey")
}

func TestGenkeyOut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "private.key")
	code, stdout, _ := runCLI("", "genkey", "--out", path)
	require.Zero(t, code)
	require.Empty(t, stdout, "the key goes to the file only")
	fi, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	_, err = stc.ParsePrivateKey(string(data))
	require.NoError(t, err)
	// An existing file is never replaced.
	code, _, errOut := runCLI("", "genkey", "--out", path)
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "not replaced")
	again, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, data, again)
}

func TestUsageAndErrors(t *testing.T) {
	code, _, errOut := runCLI("")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "Usage:")
	code, _, errOut = runCLI("", "frobnicate")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, `unknown command "frobnicate"`)
	code, _, errOut = runCLI("", "up")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "--config")
	code, _, errOut = runCLI("", "status", "--socket", filepath.Join(t.TempDir(), "none.sock"))
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "no stt-tun is running")
	code, out, _ := runCLI("", "version")
	require.Zero(t, code)
	require.Contains(t, out, "STT/1")
	code, out, _ = runCLI("", "--help")
	require.Zero(t, code)
	require.Contains(t, out, "stt-tun up --config FILE")
}

func TestPrintStatus(t *testing.T) {
	k, _ := stc.GeneratePrivateKey()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	st := &statusReply{
		Interface: "stt0", Addresses: []string{"10.77.0.1/24"}, MTU: 1420,
		Status: overlay.Status{
			PublicKey: k.PublicKey(), ListenPort: 51820, NoRoute: 2, ICMPSent: 2,
			Peers: []overlay.PeerStatus{{
				Name: "beta", PublicKey: k.PublicKey(), Endpoint: "192.0.2.7:51820", Configured: "vpn.example:51820",
				AllowedIPs: []netip.Prefix{netip.MustParsePrefix("10.77.0.2/32")}, Connected: true,
				LastHandshake: now.Add(-42 * time.Second), KeyEpoch: 3, Suite: "aes-256-gcm", RTT: 412 * time.Microsecond,
				RxBytes: 3 << 20, RxPackets: 2500, TxBytes: 1536, TxPackets: 12,
				Drops: map[string]uint64{"inner_source": 4},
			}},
		},
	}
	var b bytes.Buffer
	printStatus(&b, st, now)
	out := b.String()
	for _, want := range []string{
		"interface: stt0", "listening port: 51820", "packets for no peer: 2 (2 ICMP unreachable sent)",
		"peer: beta", "endpoint: 192.0.2.7:51820 (configured: vpn.example:51820)", "allowed ips: 10.77.0.2/32",
		"latest handshake: 42s ago (key epoch 3, aes-256-gcm)", "rtt: 412µs",
		"transfer: 3.00 MiB received (2500 packets), 1.50 KiB sent (12 packets)", "dropped: inner source 4",
	} {
		require.Contains(t, out, want)
	}
}
