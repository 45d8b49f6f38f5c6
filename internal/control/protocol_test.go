package control

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

func TestDecodeRequest(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		want    request
		wantErr string
	}{
		{"cmd only", `{"cmd":"status"}`, request{Cmd: "status"}, ""},
		{"with args", `{"cmd":"status","args":{"peer":"a"}}`, request{Cmd: "status", Args: json.RawMessage(`{"peer":"a"}`)}, ""},
		{"null args", `{"cmd":"down","args":null}`, request{Cmd: "down"}, ""},
		{"whitespace", " \t{ \"cmd\" : \"x\" }\r ", request{Cmd: "x"}, ""},
		{"empty", "", request{}, "empty request"},
		{"blank", " \r\t", request{}, "empty request"},
		{"not an object", `["status"]`, request{}, "invalid request"},
		{"null", `null`, request{}, `no "cmd"`},
		{"empty cmd", `{"cmd":""}`, request{}, `no "cmd"`},
		{"cmd not a string", `{"cmd":7}`, request{}, "invalid request"},
		{"unknown field", `{"cmd":"x","secret":"y"}`, request{}, `unknown field "secret"`},
		{"trailing data", `{"cmd":"x"} 1`, request{}, "data after the JSON object"},
		{"truncated", `{"cmd":"x"`, request{}, "invalid request"},
		{"bad utf-8 is replaced", "{\"cmd\":\"\xff\"}", request{Cmd: "\ufffd"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeRequest([]byte(tt.line))
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestEncodeRequestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		cmd  string
		args any
		want string
	}{
		{"no args", "status", nil, `{"cmd":"status"}`},
		{"struct", "status", statusArgs{Peer: "a\nb"}, `{"cmd":"status","args":{"peer":"a\nb"}}`},
		{"raw", "x", json.RawMessage(` [1, 2] `), `{"cmd":"x","args":[1,2]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			line, err := encodeRequest(tt.cmd, tt.args)
			require.NoError(t, err)
			require.Equal(t, 1, bytes.Count(line, []byte("\n")), "one line")
			require.True(t, bytes.HasSuffix(line, []byte("\n")))
			req, err := decodeRequest(line[:len(line)-1])
			require.NoError(t, err)
			require.Equal(t, tt.cmd, req.Cmd)
			want, err := decodeRequest([]byte(tt.want))
			require.NoError(t, err)
			require.Equal(t, want, req)
		})
	}
	_, err := encodeRequest("x", func() {})
	require.ErrorContains(t, err, `encoding arguments of "x"`)
}

func TestReadLine(t *testing.T) {
	const max = 8
	tests := []struct {
		name    string
		in      io.Reader
		want    string
		wantErr error
	}{
		{"line", strings.NewReader("abc\nrest"), "abc", nil},
		{"ended by EOF", strings.NewReader("abc"), "abc", nil},
		{"exactly max", strings.NewReader("12345678\n"), "12345678", nil},
		{"max then EOF", strings.NewReader("12345678"), "12345678", nil},
		{"one over", strings.NewReader("123456789\n"), "", errLineTooLong},
		{"far over", strings.NewReader(strings.Repeat("x", 1000)), "", errLineTooLong},
		{"nothing", strings.NewReader(""), "", io.EOF},
		{"byte by byte", iotest.OneByteReader(strings.NewReader("ab\n")), "ab", nil},
		{"read error", iotest.ErrReader(io.ErrClosedPipe), "", io.ErrClosedPipe},
		{"error after data", io.MultiReader(strings.NewReader("ab"), iotest.ErrReader(io.ErrClosedPipe)), "", io.ErrClosedPipe},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readLine(tt.in, max)
			if tt.wantErr != nil {
				require.True(t, errors.Is(err, tt.wantErr), "got %v, want %v", err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, string(got))
		})
	}
}

func TestDecodeArgs(t *testing.T) {
	tests := []struct {
		name    string
		args    string
		want    statusArgs
		wantErr string
	}{
		{"absent", "", statusArgs{Peer: "default"}, ""},
		{"set", `{"peer":"a"}`, statusArgs{Peer: "a"}, ""},
		{"unknown field", `{"peer":"a","x":1}`, statusArgs{}, `invalid arguments: json: unknown field "x"`},
		{"wrong type", `{"peer":1}`, statusArgs{}, "invalid arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := statusArgs{Peer: "default"}
			err := DecodeArgs(json.RawMessage(tt.args), &got)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestErrorResponse(t *testing.T) {
	for _, msg := range []string{"", "plain", "two\nlines \"quoted\" \x00 \xff"} {
		line := errorResponse(msg)
		require.Equal(t, 1, bytes.Count(line, []byte("\n")), "one line")
		resp, err := decodeResponse(line)
		require.NoError(t, err)
		require.False(t, resp.OK)
		require.NotEmpty(t, resp.Error)
		if msg == "plain" {
			require.Equal(t, "plain", resp.Error)
		}
	}
}
