package flowcontrol

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/sttcore/wire"
)

// unlimited is a window no test reaches.
const unlimited = wire.ByteCount(wire.MaxVarint62)

func TestSendCredit(t *testing.T) {
	type step struct {
		sent       wire.ByteCount // AddBytesSent
		maxStream  wire.ByteCount // UpdateSendWindow on the stream, if non-zero
		maxConn    wire.ByteCount // UpdateSendWindow on the connection, if non-zero
		wantUpdate bool           // the result of the update given
		wantWindow wire.ByteCount // SendWindowSize afterwards
	}
	tests := []struct {
		name          string
		connWindow    wire.ByteCount
		initialStream wire.ByteCount
		steps         []step
	}{
		{"limited by the stream", 300, 100, []step{
			{wantWindow: 100},
			{sent: 50, wantWindow: 50},
			{sent: 50, wantWindow: 0},
			{maxStream: 1000, wantUpdate: true, wantWindow: 200}, // now the session's 300 limit
			{maxStream: 999, wantUpdate: false, wantWindow: 200}, // reordered MAX_STREAM_DATA
			{maxStream: 1000, wantUpdate: false, wantWindow: 200},
			{sent: 200, wantWindow: 0},
			{maxConn: 250, wantUpdate: false, wantWindow: 0}, // reordered MAX_DATA
			{maxConn: 350, wantUpdate: true, wantWindow: 50},
		}},
		{"limited by the session", 10, 100, []step{
			{wantWindow: 10},
			{sent: 6, wantWindow: 4},
			{maxConn: 1000, wantUpdate: true, wantWindow: 94},
		}},
		{"no session credit yet", 0, 100, []step{
			{wantWindow: 0},
			{maxConn: 40, wantUpdate: true, wantWindow: 40},
		}},
		{"overrun saturates at zero", 100, 100, []step{
			{sent: 150, wantWindow: 0},
			{maxStream: 120, wantUpdate: true, wantWindow: 0},
			{maxStream: 160, maxConn: 200, wantUpdate: true, wantWindow: 10},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := NewConnection(unlimited, unlimited, nil)
			if tt.connWindow > 0 {
				require.True(t, conn.UpdateSendWindow(tt.connWindow))
			}
			s := NewStream(conn, unlimited, unlimited, tt.initialStream, nil)
			var total wire.ByteCount
			for i, st := range tt.steps {
				if st.sent > 0 {
					s.AddBytesSent(st.sent)
					total += st.sent
				}
				if st.maxStream > 0 {
					require.Equal(t, st.wantUpdate, s.UpdateSendWindow(st.maxStream), "step %d: stream update", i)
				}
				if st.maxConn > 0 {
					require.Equal(t, st.wantUpdate, conn.UpdateSendWindow(st.maxConn), "step %d: session update", i)
				}
				require.Equal(t, st.wantWindow, s.SendWindowSize(), "step %d", i)
			}
			require.Equal(t, total, conn.bytesSent, "every byte is charged to the session")
		})
	}
}

func TestSessionCreditSharedBySenders(t *testing.T) {
	conn := NewConnection(unlimited, unlimited, nil)
	conn.UpdateSendWindow(100)
	a := NewStream(conn, unlimited, unlimited, 80, nil)
	b := NewStream(conn, unlimited, unlimited, 80, nil)
	require.Equal(t, wire.ByteCount(80), a.SendWindowSize())
	a.AddBytesSent(a.SendWindowSize())
	require.Equal(t, wire.ByteCount(20), b.SendWindowSize(), "b gets only what a left of the session's credit")
	b.AddBytesSent(b.SendWindowSize())
	require.Zero(t, a.SendWindowSize())
	require.Zero(t, b.SendWindowSize())
	require.Zero(t, conn.SendWindowSize())

	blocked, limit := conn.IsNewlyBlocked()
	require.True(t, blocked)
	require.Equal(t, wire.ByteCount(100), limit)
	blocked, _ = b.IsNewlyBlocked()
	require.False(t, blocked, "b is blocked by the session, not by its own credit")
	blocked, limit = a.IsNewlyBlocked()
	require.True(t, blocked)
	require.Equal(t, wire.ByteCount(80), limit)
}

func TestIsNewlyBlocked(t *testing.T) {
	type step struct {
		sent        wire.ByteCount
		max         wire.ByteCount // a new limit, if non-zero
		wantBlocked bool
		wantLimit   wire.ByteCount
	}
	steps := []step{
		{sent: 0},  // credit 100 left
		{sent: 99}, // 1 left
		{sent: 1, wantBlocked: true, wantLimit: 100}, // used up
		{},         // still blocked, but already said
		{max: 150}, // unblocked
		{sent: 50, wantBlocked: true, wantLimit: 150}, // blocked again at the new limit
		{},
	}
	for _, level := range []string{"stream", "session"} {
		t.Run(level, func(t *testing.T) {
			conn := NewConnection(unlimited, unlimited, nil)
			var s *Stream
			var update func(wire.ByteCount) bool
			var isNewlyBlocked func() (bool, wire.ByteCount)
			if level == "stream" { // unlimited session credit
				conn.UpdateSendWindow(unlimited)
				s = NewStream(conn, unlimited, unlimited, 0, nil)
				update, isNewlyBlocked = s.UpdateSendWindow, s.IsNewlyBlocked
			} else { // unlimited stream credit
				s = NewStream(conn, unlimited, unlimited, unlimited, nil)
				update, isNewlyBlocked = conn.UpdateSendWindow, conn.IsNewlyBlocked
			}
			update(100)
			for i, st := range steps {
				s.AddBytesSent(st.sent)
				if st.max > 0 {
					require.True(t, update(st.max))
				}
				blocked, limit := isNewlyBlocked()
				require.Equal(t, st.wantBlocked, blocked, "step %d", i)
				require.Equal(t, st.wantLimit, limit, "step %d", i)
			}
		})
	}
}
