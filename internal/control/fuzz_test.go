package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"
)

// newResponder is a Server that only answers request lines: respond needs
// no socket.
func newResponder() *Server {
	return &Server{
		handlers: map[string]Handler{
			"echo": func(_ context.Context, args json.RawMessage) (any, error) {
				if args == nil {
					return nil, nil
				}
				return args, nil
			},
			"fail": func(context.Context, json.RawMessage) (any, error) { return nil, errors.New("failed") },
		},
		known:  "echo, fail",
		logger: slog.New(slog.DiscardHandler),
	}
}

// FuzzRequest feeds arbitrary request lines to the server's decoder and
// dispatcher. It checks that every input gets exactly one valid response
// line, that invalid JSON is answered ok:false, and that "echo" returns its
// arguments unchanged (decode then encode is the identity on JSON values).
func FuzzRequest(f *testing.F) {
	for _, seed := range []string{
		`{"cmd":"echo"}`,
		`{"cmd":"echo","args":{"peer":"a","n":[1,2.5,null,true]}}`,
		`{"cmd":"fail"}`,
		`{"cmd":"nope","args":1}`,
		`{"cmd":"echo","args":null}`,
		`{"cmd":"echo","args":"<a&b>"}`,
		`{"cmd":"echo"} {"cmd":"echo"}`,
		"{\"cmd\":\"echo\",\"args\":\"\\u2028\xff\"}",
		`[`,
		``,
	} {
		f.Add([]byte(seed))
	}
	s := newResponder()
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, line []byte) {
		out := s.respond(ctx, line)
		if len(out) == 0 || out[len(out)-1] != '\n' || bytes.Count(out, []byte("\n")) != 1 {
			t.Fatalf("response %q is not one line", out)
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		dec.DisallowUnknownFields()
		var resp response
		if err := dec.Decode(&resp); err != nil {
			t.Fatalf("response %q does not decode: %v", out, err)
		}
		req, reqErr := decodeRequest(line)
		if !json.Valid(line) && (resp.OK || reqErr == nil) {
			t.Fatalf("invalid JSON %q accepted: %q", line, out)
		}
		if resp.OK != (reqErr == nil && req.Cmd == "echo") {
			t.Fatalf("request %q (decode error %v) answered %q", line, reqErr, out)
		}
		if !resp.OK {
			if resp.Error == "" {
				t.Fatalf("error response %q without a message", out)
			}
			return
		}
		if req.Args == nil {
			if resp.Result != nil {
				t.Fatalf("no args, but result %q", resp.Result)
			}
			return
		}
		// Marshal compacts a RawMessage and escapes it for HTML.
		var compact, want bytes.Buffer
		if err := json.Compact(&compact, req.Args); err != nil {
			t.Fatalf("decoded args %q are not JSON: %v", req.Args, err)
		}
		json.HTMLEscape(&want, compact.Bytes())
		if !bytes.Equal(want.Bytes(), resp.Result) {
			t.Fatalf("echo of %q gave %q", want.Bytes(), resp.Result)
		}
	})
}
