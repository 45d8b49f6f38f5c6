package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitTimeout bounds every wait for something that happens within
// milliseconds on an idle machine.
const waitTimeout = 20 * time.Second

// shortDir returns a fresh directory with a short path: t.TempDir() can
// exceed the 107 bytes a unix socket path may have.
func shortDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sttc")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

type peerStatus struct {
	Name     string        `json:"name"`
	Endpoint string        `json:"endpoint"`
	RTT      time.Duration `json:"rtt"`
	Bytes    uint64        `json:"bytes"`
}

type statusArgs struct {
	Peer string `json:"peer"`
}

type statusResult struct {
	Interface string       `json:"interface"`
	Peers     []peerStatus `json:"peers"`
}

// testHandlers is the command set the tests serve. release lets a test
// hold "block" handlers until it closes the channel.
func testHandlers(release <-chan struct{}) map[string]Handler {
	return map[string]Handler{
		"status": func(_ context.Context, args json.RawMessage) (any, error) {
			var a statusArgs
			if err := DecodeArgs(args, &a); err != nil {
				return nil, err
			}
			res := statusResult{Interface: "stt0", Peers: []peerStatus{
				{Name: "alpha", Endpoint: "192.0.2.1:51820", RTT: 12 * time.Millisecond, Bytes: 1 << 40},
				{Name: "beta", Endpoint: "[2001:db8::1]:51820", RTT: time.Second, Bytes: 7},
			}}
			if a.Peer != "" {
				for _, p := range res.Peers {
					if p.Name == a.Peer {
						res.Peers = []peerStatus{p}
						return res, nil
					}
				}
				return nil, fmt.Errorf("no peer named %q", a.Peer)
			}
			return res, nil
		},
		"echo": func(_ context.Context, args json.RawMessage) (any, error) {
			if args == nil {
				return nil, nil
			}
			return args, nil
		},
		"fail": func(context.Context, json.RawMessage) (any, error) {
			return nil, errors.New("reload failed: key \"x\" is not base64")
		},
		"panic": func(context.Context, json.RawMessage) (any, error) {
			var m map[string]int
			m["boom"]++ // assignment to entry in nil map
			return nil, nil
		},
		"badresult": func(context.Context, json.RawMessage) (any, error) {
			return func() {}, nil
		},
		"huge": func(context.Context, json.RawMessage) (any, error) {
			return strings.Repeat("x", MaxResponseSize), nil
		},
		"block": func(ctx context.Context, _ json.RawMessage) (any, error) {
			select {
			case <-release:
				return "released", nil
			case <-ctx.Done():
				return "cancelled", nil
			}
		},
	}
}

// testServer is a Server running Serve in a goroutine.
type testServer struct {
	*Server
	serveErr chan error // nil until start
}

func listenTest(t *testing.T, path string, handlers map[string]Handler) *testServer {
	t.Helper()
	s, err := Listen(path, handlers, nil)
	require.NoError(t, err)
	ts := &testServer{Server: s}
	t.Cleanup(func() { ts.stop(t) })
	return ts
}

func (ts *testServer) start() *testServer {
	ts.serveErr = make(chan error, 1)
	go func() { ts.serveErr <- ts.Serve() }()
	return ts
}

// stop closes the server and checks that Serve returned nil.
func (ts *testServer) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, ts.Close())
	if ts.serveErr == nil {
		return
	}
	select {
	case err := <-ts.serveErr:
		require.NoError(t, err)
		ts.serveErr <- nil // for a later stop
	case <-time.After(waitTimeout):
		t.Fatal("Serve did not return after Close")
	}
}

// startServer serves testHandlers(release) on a socket in a fresh
// directory.
func startServer(t *testing.T, release <-chan struct{}) *testServer {
	t.Helper()
	return listenTest(t, filepath.Join(shortDir(t), "ctl.sock"), testHandlers(release)).start()
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	t.Cleanup(cancel)
	return ctx
}

// rawConn connects to path without the client, for tests that misbehave.
func rawConn(t *testing.T, path string) *net.UnixConn {
	t.Helper()
	c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// readResponse reads one response line from c within waitTimeout.
func readResponse(t *testing.T, c net.Conn) response {
	t.Helper()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(waitTimeout)))
	line, err := bufio.NewReader(c).ReadBytes('\n')
	require.NoError(t, err)
	var resp response
	require.NoError(t, json.Unmarshal(line, &resp))
	return resp
}
