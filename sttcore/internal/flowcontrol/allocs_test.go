package flowcontrol

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/sttcore/wire"
)

func TestHotPathAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	rtt := constRTT(time.Millisecond)
	conn := NewConnection(1<<20, 1<<24, rtt)
	conn.UpdateSendWindow(1 << 40)
	s := NewStream(conn, 1<<16, 1<<22, 1<<40, rtt)
	var offset wire.ByteCount
	now := t0
	allocs := testing.AllocsPerRun(1000, func() {
		now = now.Add(time.Microsecond)
		// sending
		n := min(s.SendWindowSize(), 1350)
		s.AddBytesSent(n)
		s.IsNewlyBlocked()
		conn.IsNewlyBlocked()
		s.UpdateSendWindow(s.sendWindow + 1350)
		conn.UpdateSendWindow(conn.sendWindow + 1350)
		// receiving
		offset += 1350
		if err := s.UpdateHighestReceived(offset, false, now); err != nil {
			panic(err)
		}
		s.AddBytesRead(1350)
		s.GetWindowUpdate(now)
		conn.GetWindowUpdate(now)
	})
	require.Zero(t, allocs)
	require.Greater(t, s.windowSize, wire.ByteCount(1<<16), "the loop went through auto-tuning")
}

// BenchmarkReceive is the receive path of one 1350-byte STREAM frame: the
// credit check, the read, and the window update when due.
func BenchmarkReceive(b *testing.B) {
	rtt := constRTT(time.Millisecond)
	conn := NewConnection(1<<20, 1<<24, rtt)
	s := NewStream(conn, 1<<16, 1<<22, 0, rtt)
	var offset wire.ByteCount
	now := t0
	b.ReportAllocs()
	b.SetBytes(1350)
	for b.Loop() {
		now = now.Add(time.Microsecond)
		offset += 1350
		if err := s.UpdateHighestReceived(offset, false, now); err != nil {
			b.Fatal(err)
		}
		if streamUpdate, connUpdate := s.AddBytesRead(1350); streamUpdate || connUpdate {
			s.GetWindowUpdate(now)
			conn.GetWindowUpdate(now)
		}
	}
}

// BenchmarkSend is the send path of one 1350-byte STREAM frame.
func BenchmarkSend(b *testing.B) {
	conn := NewConnection(1<<20, 1<<24, nil)
	conn.UpdateSendWindow(1 << 16)
	s := NewStream(conn, 1<<16, 1<<22, 1<<16, nil)
	b.ReportAllocs()
	b.SetBytes(1350)
	for b.Loop() {
		n := min(s.SendWindowSize(), 1350)
		s.AddBytesSent(n)
		if blocked, limit := s.IsNewlyBlocked(); blocked {
			s.UpdateSendWindow(limit + 1<<16)
		}
		if blocked, limit := conn.IsNewlyBlocked(); blocked {
			conn.UpdateSendWindow(limit + 1<<16)
		}
	}
}
