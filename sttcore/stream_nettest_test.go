package sttcore

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/net/nettest"
)

// Streams pass the net.Conn conformance suite that the standard library
// runs on net.Pipe.
func TestStreamIsNetConn(t *testing.T) {
	a, b := newNode(t, nil), newNode(t, nil)
	sa, sb := connect(t, a, b)
	nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s1, err := sa.OpenStream(ctx)
		if err != nil {
			return nil, nil, nil, err
		}
		// The peer learns of a stream from its first byte: send one and
		// read it, so both ends exist before the suite starts.
		if _, err := s1.Write([]byte{0}); err != nil {
			return nil, nil, nil, err
		}
		s2, err := sb.AcceptStream(ctx)
		if err != nil {
			return nil, nil, nil, err
		}
		if _, err := io.ReadFull(s2, make([]byte, 1)); err != nil {
			return nil, nil, nil, err
		}
		return s1, s2, func() { s1.Close(); s2.Close() }, nil
	})
}
