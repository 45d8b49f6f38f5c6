package control

import (
	"context"
	"testing"
)

// BenchmarkCall measures a whole exchange over the socket: connect, one
// request line, the handler, one response line.
func BenchmarkCall(b *testing.B) {
	dir := shortDir(b)
	s, err := Listen(dir+"/ctl.sock", testHandlers(nil), nil)
	if err != nil {
		b.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	defer func() {
		s.Close()
		<-served
	}()
	ctx := context.Background()
	var got statusResult
	b.ReportAllocs()
	for b.Loop() {
		if err := Call(ctx, s.Path(), "status", statusArgs{Peer: "alpha"}, &got); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRespond measures decoding a request line, dispatching it and
// encoding the response, without the socket.
func BenchmarkRespond(b *testing.B) {
	s := newResponder()
	line := []byte(`{"cmd":"echo","args":{"peer":"alpha","verbose":true,"limit":100}}`)
	ctx := context.Background()
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	for b.Loop() {
		s.respond(ctx, line)
	}
}
