package control

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRoundTrip(t *testing.T) {
	ts := startServer(t, nil)
	full := statusResult{Interface: "stt0", Peers: []peerStatus{
		{Name: "alpha", Endpoint: "192.0.2.1:51820", RTT: 12 * time.Millisecond, Bytes: 1 << 40},
		{Name: "beta", Endpoint: "[2001:db8::1]:51820", RTT: time.Second, Bytes: 7},
	}}
	tests := []struct {
		name string
		cmd  string
		args any
		want statusResult
	}{
		{"no args", "status", nil, full},
		{"struct args", "status", statusArgs{Peer: "beta"}, statusResult{Interface: "stt0", Peers: full.Peers[1:]}},
		{"raw args", "status", json.RawMessage(`{"peer":"alpha"}`), statusResult{Interface: "stt0", Peers: full.Peers[:1]}},
		{"null args", "status", json.RawMessage(`null`), full},
		{"echo", "echo", full, full},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got statusResult
			require.NoError(t, Call(testCtx(t), ts.Path(), tt.cmd, tt.args, &got))
			require.Equal(t, tt.want, got)
		})
	}

	t.Run("nil result pointer", func(t *testing.T) {
		require.NoError(t, Call(testCtx(t), ts.Path(), "status", nil, nil))
	})
	t.Run("no result leaves target", func(t *testing.T) {
		got := statusResult{Interface: "untouched"}
		require.NoError(t, Call(testCtx(t), ts.Path(), "echo", nil, &got))
		require.Equal(t, "untouched", got.Interface)
	})
	t.Run("result of wrong type", func(t *testing.T) {
		var got int
		err := Call(testCtx(t), ts.Path(), "status", nil, &got)
		require.ErrorContains(t, err, "decoding the result")
	})
}

func TestRemoteErrors(t *testing.T) {
	ts := startServer(t, nil)
	tests := []struct {
		name string
		cmd  string
		args any
		want []string // substrings of the remote message
	}{
		{"unknown command", "stats", nil, []string{`unknown command "stats"`,
			"known commands: badresult, block, echo, fail, huge, panic, status"}},
		{"handler error", "fail", nil, []string{`reload failed: key "x" is not base64`}},
		{"handler error from args", "status", statusArgs{Peer: "gamma"}, []string{`no peer named "gamma"`}},
		{"unknown argument", "status", map[string]string{"peers": "x"}, []string{"invalid arguments", `unknown field "peers"`}},
		{"handler panic", "panic", nil, []string{`internal error: command "panic" failed`}},
		{"result not encodable", "badresult", nil, []string{`encoding the result of "badresult"`}},
		{"result too large", "huge", nil, []string{fmt.Sprintf(`the response to "huge" is %d bytes, over the %d-byte limit`,
			MaxResponseSize+len(`{"ok":true,"result":""}`), MaxResponseSize)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Call(testCtx(t), ts.Path(), tt.cmd, tt.args, nil)
			var re *RemoteError
			require.ErrorAs(t, err, &re)
			for _, w := range tt.want {
				require.Contains(t, re.Msg, w)
			}
			// The daemon survives and still answers.
			require.NoError(t, Call(testCtx(t), ts.Path(), "status", nil, nil))
		})
	}
}

func TestBadRequestLines(t *testing.T) {
	ts := startServer(t, nil)
	tests := []struct {
		name string
		line string
		ok   bool
		want string
	}{
		{"valid", `{"cmd":"echo","args":[1,2]}` + "\n", true, ""},
		{"ended by EOF", `{"cmd":"echo","args":[1,2]}`, true, ""},
		{"not JSON", "status\n", false, "invalid request"},
		{"no cmd", `{"args":{}}` + "\n", false, `no "cmd"`},
		{"unknown field", `{"cmd":"echo","argz":{}}` + "\n", false, `unknown field "argz"`},
		{"two objects", `{"cmd":"echo"}{"cmd":"echo"}` + "\n", false, "data after the JSON object"},
		{"empty line", "\n", false, "empty request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := rawConn(t, ts.Path())
			_, err := c.Write([]byte(tt.line))
			require.NoError(t, err)
			require.NoError(t, c.CloseWrite())
			resp := readResponse(t, c)
			require.Equal(t, tt.ok, resp.OK, resp.Error)
			require.Contains(t, resp.Error, tt.want)
		})
	}
}

func TestOversizedRequest(t *testing.T) {
	ts := startServer(t, nil)
	tests := []struct {
		name string
		size int // bytes before the '\n'
		ok   bool
	}{
		{"at the limit", MaxRequestSize, true},
		{"one over", MaxRequestSize + 1, false},
		{"far over", 4 * MaxRequestSize, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := `{"cmd":"echo","args":"`
			line := prefix + strings.Repeat("a", tt.size-len(prefix)-2) + `"}` + "\n"
			require.Len(t, line, tt.size+1)
			c := rawConn(t, ts.Path())
			wrote := make(chan struct{})
			go func() {
				defer close(wrote)
				c.Write([]byte(line)) // fails once the server has closed
			}()
			resp := readResponse(t, c)
			require.Equal(t, tt.ok, resp.OK, resp.Error)
			if !tt.ok {
				require.Contains(t, resp.Error, "request longer than 65536 bytes")
			}
			c.Close()
			<-wrote
		})
	}

	t.Run("client refuses to send", func(t *testing.T) {
		err := Call(testCtx(t), ts.Path(), "echo", strings.Repeat("a", MaxRequestSize), nil)
		require.ErrorIs(t, err, ErrRequestTooLarge)
	})
}

func TestSlowClientDoesNotBlockOthers(t *testing.T) {
	ts := startServer(t, nil)
	silent := rawConn(t, ts.Path()) // connects and sends nothing
	for range 3 {
		require.NoError(t, Call(testCtx(t), ts.Path(), "status", nil, nil))
	}
	// Close does not wait ReadTimeout for the silent client.
	start := time.Now()
	ts.stop(t)
	require.Less(t, time.Since(start), ReadTimeout)
	silent.SetReadDeadline(time.Now().Add(waitTimeout))
	_, err := silent.Read(make([]byte, 1))
	require.Error(t, err, "the server hung up on the silent client")
}

func TestSilentClientTimesOut(t *testing.T) {
	ts := listenTest(t, filepath.Join(shortDir(t), "ctl.sock"), testHandlers(nil))
	ts.readTimeout = 50 * time.Millisecond
	ts.start()
	c := rawConn(t, ts.Path())
	resp := readResponse(t, c)
	require.False(t, resp.OK)
	require.Contains(t, resp.Error, "no request within 50ms")
}

func TestConnectionLimit(t *testing.T) {
	ts := startServer(t, nil)
	// Fill every slot with a client that sends nothing. Connections are
	// accepted in order, so these hold the slots before the Call below.
	silent := make([]*net.UnixConn, MaxConns)
	for i := range silent {
		silent[i] = rawConn(t, ts.Path())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := Call(ctx, ts.Path(), "status", nil, nil)
	require.ErrorIs(t, err, context.DeadlineExceeded, "a 17th client was served")

	// Freeing one slot lets the next client through.
	require.NoError(t, silent[0].Close())
	require.NoError(t, Call(testCtx(t), ts.Path(), "status", nil, nil))
}

func TestCloseWaitsForHandlers(t *testing.T) {
	tests := []struct {
		name       string
		honoursCtx bool
	}{
		{"cancels the context", true},
		{"waits for a handler that ignores it", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			started := make(chan struct{})
			release := make(chan struct{})
			h := map[string]Handler{"wait": func(ctx context.Context, _ json.RawMessage) (any, error) {
				close(started)
				if tt.honoursCtx {
					<-ctx.Done()
					return "cancelled", nil
				}
				<-release
				return "released", nil
			}}
			ts := listenTest(t, filepath.Join(shortDir(t), "ctl.sock"), h).start()
			type result struct {
				s   string
				err error
			}
			called := make(chan result, 1)
			go func() {
				var r result
				r.err = Call(testCtx(t), ts.Path(), "wait", nil, &r.s)
				called <- r
			}()
			<-started
			closed := make(chan error, 1)
			go func() { closed <- ts.Close() }()
			want := "cancelled"
			if !tt.honoursCtx {
				select {
				case <-closed:
					t.Fatal("Close returned while a handler was running")
				case <-time.After(100 * time.Millisecond):
				}
				close(release)
				want = "released"
			}
			r := <-called
			require.NoError(t, r.err)
			require.Equal(t, want, r.s, "the handler's answer reaches the client")
			require.NoError(t, <-closed)
		})
	}
}

// waitActive polls until s serves n connections.
func waitActive(t *testing.T, s *Server, n int) {
	t.Helper()
	require.Eventually(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.active) == n
	}, waitTimeout, time.Millisecond)
}

func TestCloseRemovesSocket(t *testing.T) {
	ts := startServer(t, nil)
	require.NoError(t, Call(testCtx(t), ts.Path(), "status", nil, nil))
	ts.stop(t)
	_, err := os.Lstat(ts.Path())
	require.ErrorIs(t, err, os.ErrNotExist)
	require.NoError(t, ts.Close(), "second Close")

	err = Call(testCtx(t), ts.Path(), "status", nil, nil)
	require.ErrorIs(t, err, ErrNotRunning)
	require.EqualError(t, err, "no stt-tun is running for this interface (no control socket at "+ts.Path()+
		"); start it with `stt-tun up --config FILE`")
}

func TestCloseBeforeServe(t *testing.T) {
	ts := listenTest(t, filepath.Join(shortDir(t), "ctl.sock"), nil)
	require.NoError(t, ts.Close())
	require.NoError(t, ts.Serve())
	_, err := os.Lstat(ts.Path())
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestCloseKeepsForeignSocket(t *testing.T) {
	dir := shortDir(t)
	path := filepath.Join(dir, "ctl.sock")
	ts := listenTest(t, path, nil).start()
	// Someone removed our socket and another daemon took the path.
	require.NoError(t, os.Remove(path))
	other := listenTest(t, path, testHandlers(nil)).start()
	ts.stop(t)
	require.NoError(t, Call(testCtx(t), other.Path(), "status", nil, nil))
}

func TestServeTwice(t *testing.T) {
	ts := startServer(t, nil)
	waitServing(t, ts.Server)
	require.ErrorContains(t, ts.Serve(), "Serve called twice")
}

func waitServing(t *testing.T, s *Server) {
	t.Helper()
	require.Eventually(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.serving
	}, waitTimeout, time.Millisecond)
}

func TestListenRejectsEmptyHandler(t *testing.T) {
	path := filepath.Join(shortDir(t), "ctl.sock")
	_, err := Listen(path, map[string]Handler{"status": nil}, nil)
	require.ErrorContains(t, err, `handler for command "status" is empty`)
	_, err = os.Lstat(path)
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestRespondNeverLogsArgs(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	path := filepath.Join(shortDir(t), "ctl.sock")
	s, err := Listen(path, testHandlers(nil), logger)
	require.NoError(t, err)
	defer s.Close()
	const secret = "c2VjcmV0LWtleS1tYXRlcmlhbA"
	for _, cmd := range []string{"echo", "fail", "panic", "nope"} {
		resp := s.respond(context.Background(), []byte(`{"cmd":"`+cmd+`","args":{"private_key":"`+secret+`"}}`))
		require.True(t, json.Valid(resp))
	}
	require.Contains(t, buf.String(), "cmd=echo", "the log holds the commands")
	require.NotContains(t, buf.String(), secret)
}
