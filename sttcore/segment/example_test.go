package segment_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/seigr/stt-tun/sttcore/segment"
)

// Send a file-like payload over a connection and receive it on the other
// end. Over sttcore, the two ends are the Streams of Session.OpenStream and
// Session.AcceptStream.
func Example() {
	sender, receiver := net.Pipe()
	defer receiver.Close()
	// Both sides derive the same per-transfer key, e.g. from a session secret.
	opts := segment.Options{Key: []byte("a key both sides know")}

	payload := "the contents of greeting.txt"
	sent := make(chan error, 1)
	go func() {
		defer sender.Close()
		sent <- segment.Send(context.Background(), sender, "greeting.txt",
			strings.NewReader(payload), int64(len(payload)), opts)
	}()

	var got bytes.Buffer
	h, err := segment.Receive(context.Background(), receiver, &got, opts)
	if err != nil {
		fmt.Println("receive:", err)
		return
	}
	fmt.Printf("%s, %d bytes, verified: %q\n", h.Name, h.Size, got.String())
	fmt.Println("send:", <-sent)
	// Output:
	// greeting.txt, 28 bytes, verified: "the contents of greeting.txt"
	// send: <nil>
}

// A live stream has no size: the Encoder flushes each frame as it comes and
// Close marks the end. The Decoder returns io.EOF only after the end marker
// checked out.
func ExampleEncoder_live() {
	sender, receiver := net.Pipe()
	defer receiver.Close()
	go func() {
		defer sender.Close()
		enc, err := segment.NewEncoder(sender, segment.Header{Name: "camera-1", Size: segment.UnknownSize, Type: "video/h264"}, segment.Options{})
		if err != nil {
			return
		}
		for _, frame := range []string{"frame 1;", "frame 2;", "frame 3;"} {
			_, _ = enc.Write([]byte(frame))
			_ = enc.Flush() // send now, do not wait for a full chunk
		}
		_ = enc.Close()
	}()

	dec, err := segment.NewDecoder(receiver, segment.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(dec.Header().Name, dec.Header().Type, "live:", dec.Header().Live())
	all, err := io.ReadAll(dec)
	fmt.Printf("%s %v\n", all, err)
	// Output:
	// camera-1 video/h264 live: true
	// frame 1;frame 2;frame 3; <nil>
}
