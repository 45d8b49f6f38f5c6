package flowcontrol_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/seigr/stt-tun/sttcore/internal/flowcontrol"
)

func Example() {
	rtt := func() time.Duration { return 20 * time.Millisecond } // the session's smoothed RTT
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

	// The receiving side of a session: 1500 bytes for all streams, 1000 for this one.
	conn := flowcontrol.NewConnection(1500, 1<<20, rtt)
	s := flowcontrol.NewStream(conn, 1000, 1<<20, 0, rtt)

	// A STREAM frame with 600 bytes at offset 0 arrives, and the reader takes 300.
	if err := s.UpdateHighestReceived(600, false, now); err != nil {
		fmt.Println(err)
	}
	if streamUpdate, _ := s.AddBytesRead(300); streamUpdate {
		fmt.Println("MAX_STREAM_DATA", s.GetWindowUpdate(now.Add(time.Second)))
	}

	// A frame beyond the credit closes the session with a flow-control error.
	err := s.UpdateHighestReceived(1400, false, now)
	fmt.Println(errors.Is(err, flowcontrol.ErrFlowControl), err)
	// Output:
	// MAX_STREAM_DATA 1300
	// true flowcontrol: peer sent stream data up to offset 1400, beyond the stream credit of 1300
}
