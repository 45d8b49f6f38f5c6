package flowcontrol

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/sttcore/wire"
)

// t0 is an arbitrary start for injected time.
var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

func TestUpdateHighestReceived(t *testing.T) {
	type frame struct {
		offset  wire.ByteCount
		final   bool
		wantErr *Error // nil: accepted
	}
	tests := []struct {
		name                   string
		streamWindow, connWind wire.ByteCount
		frames                 []frame
		wantHighest            wire.ByteCount // the stream's highest offset at the end
	}{
		{"in order, duplicate, reordered", 100, 1000, []frame{
			{offset: 50}, {offset: 50}, {offset: 40}, {offset: 60},
		}, 60},
		{"up to the stream limit exactly", 100, 1000, []frame{{offset: 100}}, 100},
		{"beyond the stream limit", 100, 1000, []frame{
			{offset: 60},
			{offset: 101, wantErr: &Error{Kind: StreamLimit, Limit: 100, Offset: 101}},
			{offset: 100, final: true},
		}, 100},
		{"beyond the session limit", 100, 70, []frame{
			{offset: 30},
			{offset: 71, wantErr: &Error{Kind: ConnectionLimit, Limit: 70, Offset: 71}},
			{offset: 70},
		}, 70},
		{"final size repeated", 100, 1000, []frame{
			{offset: 50, final: true}, {offset: 50, final: true}, {offset: 20},
		}, 50},
		{"final size at the highest offset", 100, 1000, []frame{
			{offset: 50}, {offset: 50, final: true}, {offset: 50, final: true},
		}, 50},
		{"final size changed", 100, 1000, []frame{
			{offset: 50, final: true},
			{offset: 51, final: true, wantErr: &Error{Kind: FinalSize, Limit: 50, Offset: 51}},
			{offset: 49, final: true, wantErr: &Error{Kind: FinalSize, Limit: 50, Offset: 49}},
		}, 50},
		{"data past the final size", 100, 1000, []frame{
			{offset: 50, final: true},
			{offset: 60, wantErr: &Error{Kind: FinalSize, Limit: 50, Offset: 60}},
		}, 50},
		{"final size below data received", 100, 1000, []frame{
			{offset: 50},
			{offset: 40, final: true, wantErr: &Error{Kind: FinalSize, Limit: 50, Offset: 40}},
			{offset: 60}, // the rejected final size left no trace
		}, 60},
		{"final size beyond the credit", 100, 1000, []frame{
			{offset: 150, final: true, wantErr: &Error{Kind: StreamLimit, Limit: 100, Offset: 150}},
			{offset: 80, final: true},
		}, 80},
		{"empty final frame", 100, 1000, []frame{{offset: 0, final: true}, {offset: 0, final: true}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := NewConnection(tt.connWind, tt.connWind, nil)
			s := NewStream(conn, tt.streamWindow, tt.streamWindow, 0, nil)
			for i, f := range tt.frames {
				before, connBefore := *s, *conn
				err := s.UpdateHighestReceived(f.offset, f.final, t0)
				if f.wantErr == nil {
					require.NoError(t, err, "frame %d", i)
					continue
				}
				var ferr *Error
				require.ErrorAs(t, err, &ferr, "frame %d", i)
				require.Equal(t, *f.wantErr, *ferr, "frame %d", i)
				require.Equal(t, before, *s, "frame %d: a rejected frame changes nothing", i)
				require.Equal(t, connBefore, *conn, "frame %d: a rejected frame changes nothing", i)
			}
			require.Equal(t, tt.wantHighest, s.highestReceived)
			require.Equal(t, tt.wantHighest, conn.highestReceived)
		})
	}
}

func TestSessionWindowSharedByStreams(t *testing.T) {
	conn := NewConnection(100, 100, nil)
	a := NewStream(conn, 80, 80, 0, nil)
	b := NewStream(conn, 80, 80, 0, nil)
	require.NoError(t, a.UpdateHighestReceived(80, false, t0))
	require.NoError(t, b.UpdateHighestReceived(20, false, t0))
	err := b.UpdateHighestReceived(21, false, t0)
	require.ErrorIs(t, err, ErrConnectionLimit)
	require.ErrorIs(t, err, ErrFlowControl)
	require.Equal(t, &Error{Kind: ConnectionLimit, Limit: 100, Offset: 101}, err)

	// Reading on a returns credit that b may use once it is advertised.
	streamUpdate, connUpdate := a.AddBytesRead(80)
	require.True(t, streamUpdate)
	require.True(t, connUpdate)
	require.Equal(t, wire.ByteCount(180), conn.GetWindowUpdate(t0))
	require.NoError(t, b.UpdateHighestReceived(80, false, t0))
	require.Equal(t, wire.ByteCount(160), conn.highestReceived)
}

func TestWindowUpdateThreshold(t *testing.T) {
	tests := []struct {
		window   wire.ByteCount
		received wire.ByteCount
		noUpdate wire.ByteCount // reading this much leaves no update due...
		// ...but reading one more byte makes one due, with this limit.
		wantLimit wire.ByteCount
	}{
		{window: 100, received: 100, noUpdate: 24, wantLimit: 125}, // 75 left of 100: due
		{window: 101, received: 101, noUpdate: 25, wantLimit: 127}, // ⌊101·3/4⌋ = 75
		{window: 4, received: 4, noUpdate: 0, wantLimit: 5},
		{window: 1, received: 1, noUpdate: 0, wantLimit: 2},
		{window: 1 << 20, received: 1 << 19, noUpdate: 1<<18 - 1, wantLimit: 1<<18 + 1<<20},
	}
	for _, tt := range tests {
		t.Run("", func(t *testing.T) {
			for _, level := range []string{"stream", "session"} {
				var connWindow, streamWindow wire.ByteCount = unlimited, unlimited
				if level == "stream" {
					streamWindow = tt.window
				} else {
					connWindow = tt.window
				}
				conn := NewConnection(connWindow, connWindow, nil)
				s := NewStream(conn, streamWindow, streamWindow, 0, nil)
				due := func(streamUpdate, connUpdate bool) bool {
					if level == "stream" {
						return streamUpdate
					}
					return connUpdate
				}
				getUpdate := func() wire.ByteCount {
					if level == "stream" {
						return s.GetWindowUpdate(t0)
					}
					return conn.GetWindowUpdate(t0)
				}
				require.NoError(t, s.UpdateHighestReceived(tt.received, false, t0))
				require.False(t, due(s.AddBytesRead(tt.noUpdate)), level)
				require.Zero(t, getUpdate(), level)
				require.True(t, due(s.AddBytesRead(1)), level)
				require.Equal(t, tt.wantLimit, getUpdate(), level)
				require.Zero(t, getUpdate(), "%s: an update is given once", level)
			}
		})
	}
}

func TestStreamWindowUpdatesStopAtFinalSize(t *testing.T) {
	s := NewStream(NewConnection(unlimited, unlimited, nil), 100, 100, 0, nil)
	require.NoError(t, s.UpdateHighestReceived(100, false, t0))
	streamUpdate, _ := s.AddBytesRead(25)
	require.True(t, streamUpdate)
	require.Equal(t, wire.ByteCount(125), s.GetWindowUpdate(t0))
	require.NoError(t, s.UpdateHighestReceived(110, true, t0))
	streamUpdate, _ = s.AddBytesRead(85)
	require.False(t, streamUpdate, "the peer needs no credit past the final size")
	require.Zero(t, s.GetWindowUpdate(t0))
}

func TestWindowLimitCappedAtVarintMaximum(t *testing.T) {
	conn := NewConnection(unlimited, unlimited, nil)
	s := NewStream(conn, unlimited, unlimited, 0, nil)
	require.Equal(t, wire.ByteCount(wire.MaxVarint62), s.limit)
	require.NoError(t, s.UpdateHighestReceived(wire.MaxVarint62, false, t0))
	streamUpdate, connUpdate := s.AddBytesRead(wire.MaxVarint62)
	require.False(t, streamUpdate, "a limit of 2^62-1 cannot grow")
	require.False(t, connUpdate)
	require.Zero(t, s.GetWindowUpdate(t0))
	require.Zero(t, conn.GetWindowUpdate(t0))
}

func TestAutoTuning(t *testing.T) {
	rtt := time.Second
	rttFunc := func() time.Duration { return rtt }
	conn := NewConnection(150, 350, rttFunc)
	s := NewStream(conn, 100, 399, 0, rttFunc)

	now := t0
	require.NoError(t, s.UpdateHighestReceived(100, false, now))

	// Consumption is too slow: 51% of the window in 2.5 s > 4·0.51·1 s.
	now = now.Add(2500 * time.Millisecond)
	s.AddBytesRead(51)
	require.Equal(t, wire.ByteCount(51+100), s.GetWindowUpdate(now), "the window keeps its size")
	require.Equal(t, wire.ByteCount(51+150), conn.GetWindowUpdate(now))

	// Fast enough: 51% in 2 s < 2.04 s. The stream window doubles to 200
	// and the session's grows to 1.5·200.
	now = now.Add(2 * time.Second)
	s.AddBytesRead(51)
	require.Equal(t, wire.ByteCount(102+200), s.GetWindowUpdate(now))
	require.Equal(t, wire.ByteCount(102+300), conn.GetWindowUpdate(now))

	// Fast again: both windows grow, up to their maxima.
	now = now.Add(2 * time.Second)
	s.AddBytesRead(101)
	require.Equal(t, wire.ByteCount(203+399), s.GetWindowUpdate(now))
	require.Equal(t, wire.ByteCount(203+350), conn.GetWindowUpdate(now))
	require.Equal(t, wire.ByteCount(399), s.windowSize)
	require.Equal(t, wire.ByteCount(350), conn.windowSize)
}

func TestAutoTuningDoubling(t *testing.T) {
	tests := []struct {
		name      string
		rtt       func() time.Duration
		elapsed   time.Duration // between the first data and the update
		max       wire.ByteCount
		wantSizes []wire.ByteCount // the window after each round
	}{
		{"doubles up to the cap", constRTT(10 * time.Millisecond), 10 * time.Millisecond, 1000,
			[]wire.ByteCount{200, 400, 800, 1000, 1000}},
		{"slow reader keeps the window", constRTT(10 * time.Millisecond), 50 * time.Millisecond, 1000,
			[]wire.ByteCount{100, 100, 100}},
		{"no RTT estimate yet", constRTT(0), time.Millisecond, 1000,
			[]wire.ByteCount{100, 100}},
		{"no RTT function", nil, time.Millisecond, 1000,
			[]wire.ByteCount{100, 100}},
		{"maximum below the window", constRTT(time.Second), time.Millisecond, 10,
			[]wire.ByteCount{100, 100}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := NewConnection(unlimited, unlimited, nil)
			s := NewStream(conn, 100, tt.max, 0, tt.rtt)
			now := t0
			for i, want := range tt.wantSizes {
				// The peer fills the window, the reader drains it.
				limit := s.limit
				require.NoError(t, s.UpdateHighestReceived(limit, false, now))
				now = now.Add(tt.elapsed)
				streamUpdate, _ := s.AddBytesRead(limit - s.bytesRead)
				require.True(t, streamUpdate)
				newLimit := s.GetWindowUpdate(now)
				require.Equal(t, want, s.windowSize, "round %d", i)
				require.Equal(t, limit+want, newLimit, "round %d", i)
			}
		})
	}
}

func constRTT(d time.Duration) func() time.Duration { return func() time.Duration { return d } }

func TestConnectionAutoTuningFollowsStreams(t *testing.T) {
	// A stream window that grows pulls the session window up to 1.5 times
	// its size, capped at the session's maximum, even with no update due.
	conn := NewConnection(100, 250, nil)
	s := NewStream(conn, 100, 1000, 0, constRTT(time.Second))
	require.NoError(t, s.UpdateHighestReceived(100, false, t0))
	s.AddBytesRead(100)
	require.Equal(t, wire.ByteCount(300), s.GetWindowUpdate(t0.Add(time.Millisecond)))
	require.Equal(t, wire.ByteCount(250), conn.windowSize)
	require.Equal(t, wire.ByteCount(100+250), conn.GetWindowUpdate(t0.Add(time.Millisecond)))
}

func TestAbandon(t *testing.T) {
	conn := NewConnection(100, 100, nil)
	s := NewStream(conn, 60, 60, 0, nil)
	other := NewStream(conn, 60, 60, 0, nil)

	// A RESET_STREAM with final size 50, of which the reader read 10.
	require.NoError(t, s.UpdateHighestReceived(50, true, t0))
	s.AddBytesRead(10)
	require.Zero(t, s.GetWindowUpdate(t0))
	require.Zero(t, conn.GetWindowUpdate(t0))
	s.Abandon()
	require.Equal(t, wire.ByteCount(50), conn.bytesRead, "the 40 unread bytes return to the session")
	require.Equal(t, wire.ByteCount(150), conn.GetWindowUpdate(t0))
	s.Abandon()
	require.Equal(t, wire.ByteCount(50), conn.bytesRead, "a second Abandon does nothing")
	streamUpdate, connUpdate := s.AddBytesRead(40)
	require.False(t, streamUpdate)
	require.False(t, connUpdate)
	require.Equal(t, wire.ByteCount(50), conn.bytesRead, "reads after Abandon are not counted twice")
	require.NoError(t, other.UpdateHighestReceived(60, false, t0))
}

func TestAbandonBeforeFinalSize(t *testing.T) {
	// The reader gave up (STOP_SENDING) before the data stopped coming:
	// later data returns to the session at once.
	conn := NewConnection(100, 100, nil)
	s := NewStream(conn, 100, 100, 0, nil)
	require.NoError(t, s.UpdateHighestReceived(20, false, t0))
	s.Abandon()
	require.NoError(t, s.UpdateHighestReceived(90, false, t0))
	require.Equal(t, wire.ByteCount(90), conn.highestReceived)
	require.Equal(t, wire.ByteCount(90), conn.bytesRead)
	require.Zero(t, s.GetWindowUpdate(t0), "an abandoned stream gets no credit")
	require.Equal(t, wire.ByteCount(190), conn.GetWindowUpdate(t0))
	err := s.UpdateHighestReceived(101, false, t0)
	require.ErrorIs(t, err, ErrStreamLimit, "limits still hold")
}

func TestErrorIs(t *testing.T) {
	tests := []struct {
		err     *Error
		matches []error
		other   []error
		msg     string
	}{
		{&Error{Kind: StreamLimit, Limit: 100, Offset: 101},
			[]error{ErrFlowControl, ErrStreamLimit}, []error{ErrConnectionLimit, ErrFinalSize},
			"flowcontrol: peer sent stream data up to offset 101, beyond the stream credit of 100"},
		{&Error{Kind: ConnectionLimit, Limit: 70, Offset: 71},
			[]error{ErrFlowControl, ErrConnectionLimit}, []error{ErrStreamLimit, ErrFinalSize},
			"flowcontrol: peer sent 71 bytes on the session, beyond the session credit of 70"},
		{&Error{Kind: FinalSize, Limit: 50, Offset: 60},
			[]error{ErrFinalSize}, []error{ErrFlowControl, ErrStreamLimit, ErrConnectionLimit},
			"flowcontrol: peer sent stream data up to offset 60, beyond the final size 50"},
		{&Error{Kind: FinalSize, Limit: 50, Offset: 40},
			[]error{ErrFinalSize}, []error{ErrFlowControl},
			"flowcontrol: peer gave final size 40, which conflicts with 50 already known"},
		{&Error{Kind: 9}, nil, []error{ErrFlowControl, ErrFinalSize},
			"flowcontrol: ErrorKind(9) violated at offset 0 (limit 0)"},
	}
	for _, tt := range tests {
		t.Run(tt.err.Kind.String(), func(t *testing.T) {
			wrapped := errors.Join(errors.New("session"), tt.err)
			for _, target := range tt.matches {
				require.ErrorIs(t, wrapped, target)
			}
			for _, target := range tt.other {
				require.NotErrorIs(t, wrapped, target)
			}
			require.Equal(t, tt.msg, tt.err.Error())
		})
	}
}
