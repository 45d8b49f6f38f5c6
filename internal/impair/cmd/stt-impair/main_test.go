package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"net"
	"os"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// runMainEnv makes the test binary act as stt-impair, so that tests can
// start it as a separate process (in a network namespace) without a build
// step.
const runMainEnv = "STT_IMPAIR_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// lockedBuffer collects run's log while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

var listenRE = regexp.MustCompile(`msg="relay up" listen=(\S+)`)

// waitListen returns the address the relay logged once it is up.
func waitListen(t *testing.T, log func() string) string {
	t.Helper()
	var addr string
	require.Eventually(t, func() bool {
		m := listenRE.FindStringSubmatch(log())
		if m != nil {
			addr = m[1]
		}
		return m != nil
	}, 20*time.Second, 5*time.Millisecond, "relay never came up")
	return addr
}

func TestRunUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"no target", nil},
		{"unknown flag", []string{"-target", "127.0.0.1:9", "-nope"}},
		{"bad loss", []string{"-target", "127.0.0.1:9", "-loss", "1.5"}},
		{"bad delay", []string{"-target", "127.0.0.1:9", "-delay", "-1s"}},
		{"bad direction", []string{"-target", "127.0.0.1:9", "-direction", "sideways"}},
		{"extra args", []string{"-target", "127.0.0.1:9", "extra"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var log lockedBuffer
			err := run(t.Context(), tt.args, &log)
			require.ErrorIs(t, err, errUsage, log.String())
		})
	}
	var log lockedBuffer
	require.ErrorIs(t, run(t.Context(), []string{"-h"}, &log), flag.ErrHelp)
	require.Contains(t, log.String(), "-reorder-delay")

	err := run(t.Context(), []string{"-target", "127.0.0.1:9", "-listen", "256.1.1.1:0"}, &log)
	require.Error(t, err)
	require.NotErrorIs(t, err, errUsage)
}

func TestRunRelaysAndStops(t *testing.T) {
	echo, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	echoDone := make(chan struct{})
	go func() {
		defer close(echoDone)
		buf := make([]byte, 2048)
		for {
			n, from, err := echo.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			_, _ = echo.WriteToUDPAddrPort(buf[:n], from)
		}
	}()
	defer func() { echo.Close(); <-echoDone }()

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var log lockedBuffer
	runErr := make(chan error, 1)
	go func() {
		runErr <- run(ctx, []string{"-target", echo.LocalAddr().String(), "-delay", "10ms",
			"-direction", "up", "-corrupt", "1", "-seed", "3"}, &log)
	}()
	addr := waitListen(t, log.String)

	c, err := net.Dial("udp", addr)
	require.NoError(t, err)
	defer c.Close()
	msg := []byte("0123456789abcdef")
	start := time.Now()
	_, err = c.Write(msg)
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(20*time.Second)))
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	require.NoError(t, err)
	require.GreaterOrEqual(t, time.Since(start), 10*time.Millisecond)
	require.Len(t, buf[:n], len(msg))
	require.NotEqual(t, msg, buf[:n], "-corrupt 1 changes the upward copy")

	cancel() // as SIGTERM does through signal.NotifyContext
	select {
	case err := <-runErr:
		require.NoError(t, err, log.String())
	case <-time.After(20 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	require.Contains(t, log.String(), `msg=stats direction=up received=1 forwarded=1`)
	require.Contains(t, log.String(), `corrupted=1`)
	require.Contains(t, log.String(), `msg="relay down"`)
	require.False(t, errors.Is(err, errUsage))
}
