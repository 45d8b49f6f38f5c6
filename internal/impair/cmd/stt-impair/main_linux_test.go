//go:build linux

package main

import (
	"fmt"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/internal/netnstest"
)

// TestInMiddleNamespace runs stt-impair as a process in a middle namespace
// between a client namespace and a server namespace, as shell-driven tests
// will, and stops it with SIGTERM.
//
//	client 192.0.2.1 ── 192.0.2.2 mid (stt-impair) 198.51.100.1 ── 198.51.100.2 server
func TestInMiddleNamespace(t *testing.T) {
	netnstest.RequireRoot(t)
	exe, err := os.Executable()
	require.NoError(t, err)

	client, mid, server := netnstest.New(t, "impair-c"), netnstest.New(t, "impair-m"), netnstest.New(t, "impair-s")
	netnstest.Link(t, client, []netip.Prefix{netip.MustParsePrefix("192.0.2.1/24")},
		mid, []netip.Prefix{netip.MustParsePrefix("192.0.2.2/24")})
	netnstest.Link(t, mid, []netip.Prefix{netip.MustParsePrefix("198.51.100.1/24")},
		server, []netip.Prefix{netip.MustParsePrefix("198.51.100.2/24")})

	srv := server.ListenUDP(t, "198.51.100.2:0")
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			n, from, err := srv.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			_, _ = srv.WriteToUDPAddrPort(buf[:n], from)
		}
	}()
	t.Cleanup(func() { srv.Close(); <-done })

	const delay = 15 * time.Millisecond
	p := mid.Start(t, "env", runMainEnv+"=1", exe,
		"-listen", "192.0.2.2:0", "-target", srv.LocalAddr().String(), "-delay", delay.String())
	addr := waitListen(t, p.Output)

	c := client.ListenUDP(t, "192.0.2.1:0")
	relay := netip.MustParseAddrPort(addr)
	for i := range 5 {
		msg := fmt.Appendf(nil, "ping %d", i)
		start := time.Now()
		_, err := c.WriteToUDPAddrPort(msg, relay)
		require.NoError(t, err)
		require.NoError(t, c.SetReadDeadline(time.Now().Add(20*time.Second)))
		buf := make([]byte, 64)
		n, from, err := c.ReadFromUDPAddrPort(buf)
		require.NoError(t, err, p.Output())
		require.Equal(t, relay, from)
		require.Equal(t, msg, buf[:n])
		require.GreaterOrEqual(t, time.Since(start), 2*delay)
	}

	require.NoError(t, p.Stop(), "stt-impair must exit 0 on SIGTERM:\n%s", p.Output())
	require.Contains(t, p.Output(), "received=5 forwarded=5")
	require.Contains(t, p.Output(), `msg="relay down"`)
}
