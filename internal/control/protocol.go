package control

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// Protocol limits. A connection carries one request line and one response
// line, each a JSON object ended by '\n'.
const (
	// MaxRequestSize bounds a request line, without its '\n'. The server
	// answers a longer one with an error and closes the connection.
	MaxRequestSize = 64 << 10

	// MaxResponseSize bounds a response line, without its '\n'. The server
	// answers ok:false instead of sending a longer result, and Call refuses
	// to read past it.
	MaxResponseSize = 16 << 20

	// MaxConns is the number of connections the server serves at once.
	// Further clients wait in the listen backlog.
	MaxConns = 16

	// ReadTimeout is how long the server waits for a connection's request
	// line, counted from the accept, so a client that sends nothing cannot
	// hold a slot longer.
	ReadTimeout = 5 * time.Second

	// writeTimeout bounds writing a response to a client that does not read.
	writeTimeout = 5 * time.Second
)

// request is the line a client sends: {"cmd":"status","args":{...}}.
type request struct {
	Cmd  string          `json:"cmd"`
	Args json.RawMessage `json:"args,omitempty"`
}

// response is the line the server answers: {"ok":true,"result":{...}} or
// {"ok":false,"error":"message"}.
type response struct {
	OK     bool            `json:"ok"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  string          `json:"error,omitempty"`
}

var (
	errLineTooLong  = errors.New("line too long")
	errEmptyRequest = errors.New("empty request")
)

// readLine reads one line of at most max bytes (the '\n' not counted) from
// r and returns it without the '\n'. A line ended by EOF instead of '\n'
// counts, so that clients that half-close instead of ending the line work.
// It returns errLineTooLong when max bytes pass without a '\n', and io.EOF
// when r ends before any byte.
func readLine(r io.Reader, max int) ([]byte, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, int64(max)+1), 4096)
	line, err := br.ReadBytes('\n')
	switch {
	case err == nil:
		return line[:len(line)-1], nil
	case err != io.EOF:
		return nil, err
	case len(line) > max:
		return nil, errLineTooLong
	case len(line) == 0:
		return nil, io.EOF
	}
	return line, nil
}

// decodeRequest parses a request line strictly: exactly one JSON object
// with a non-empty "cmd" and an optional "args", nothing else. A null args
// comes back as nil, like an absent one.
func decodeRequest(line []byte) (request, error) {
	var req request
	if len(bytes.TrimSpace(line)) == 0 {
		return req, errEmptyRequest
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, fmt.Errorf("invalid request: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return req, errors.New("invalid request: data after the JSON object")
	}
	if req.Cmd == "" {
		return req, errors.New(`invalid request: no "cmd"`)
	}
	if string(req.Args) == "null" {
		req.Args = nil
	}
	return req, nil
}

// encodeRequest builds the request line for cmd and args, '\n' included.
func encodeRequest(cmd string, args any) ([]byte, error) {
	req := request{Cmd: cmd}
	if args != nil {
		raw, err := json.Marshal(args)
		if err != nil {
			return nil, fmt.Errorf("encoding arguments of %q: %w", cmd, err)
		}
		req.Args = raw
	}
	line, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encoding request %q: %w", cmd, err)
	}
	if len(line) > MaxRequestSize {
		return nil, fmt.Errorf("%w: %q is %d bytes, the limit is %d", ErrRequestTooLarge, cmd, len(line), MaxRequestSize)
	}
	return append(line, '\n'), nil
}

// encodeResponse builds a response line, '\n' included. json.Marshal
// compacts Result and escapes control characters in strings, so the line
// holds no other '\n'.
func encodeResponse(resp response) []byte {
	line, err := json.Marshal(resp)
	if err != nil {
		// Only an invalid Result can fail, and results come from
		// json.Marshal; answer something valid all the same.
		line, _ = json.Marshal(response{Error: "internal error: encoding the response: " + err.Error()})
	}
	return append(line, '\n')
}

// errorResponse builds an ok:false response line carrying msg.
func errorResponse(msg string) []byte {
	if msg == "" {
		msg = "command failed without a message"
	}
	return encodeResponse(response{Error: msg})
}

// decodeResponse parses a response line.
func decodeResponse(line []byte) (response, error) {
	var resp response
	if err := json.Unmarshal(line, &resp); err != nil {
		return resp, fmt.Errorf("invalid response: %w", err)
	}
	return resp, nil
}

// DecodeArgs decodes a request's arguments into v for a Handler. Unknown
// fields are an error, so a misspelt option is reported instead of
// ignored. Absent arguments leave v as it is.
func DecodeArgs(args json.RawMessage, v any) error {
	if len(args) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(args))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("invalid arguments: %w", err)
	}
	return nil
}
