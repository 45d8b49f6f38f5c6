package flowcontrol

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/sttcore/wire"
)

// TestRandomOperations drives several streams of one session with random
// frames, reads and abandons, and checks after every step the accounting
// that a correct controller keeps: the session counts exactly the sum of its
// streams, nothing is received past a limit, and limits never shrink.
func TestRandomOperations(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 0))
		now := t0
		conn := NewConnection(1000, 8000, constRTT(10*time.Millisecond))
		streams := make([]*Stream, 4)
		read := make([]wire.ByteCount, len(streams)) // what the reader consumed, per stream
		for i := range streams {
			streams[i] = NewStream(conn, 400, 4000, 0, constRTT(10*time.Millisecond))
		}
		for step := range 2000 {
			now = now.Add(time.Duration(rng.IntN(5)) * time.Millisecond)
			i := rng.IntN(len(streams))
			s := streams[i]
			limitBefore, connLimitBefore := s.limit, conn.limit
			switch op := rng.IntN(10); {
			case op < 5: // a frame, sometimes beyond the limits
				offset := s.highestReceived + wire.ByteCount(rng.IntN(300)) - 50
				if offset > wire.MaxVarint62 {
					offset = 0
				}
				final := rng.IntN(20) == 0
				wantErr := offset > s.limit && offset > s.highestReceived && !s.finalReceived
				err := s.UpdateHighestReceived(offset, final, now)
				if wantErr {
					require.ErrorIs(t, err, ErrStreamLimit, "seed %d step %d", seed, step)
				} else if err != nil {
					require.ErrorAs(t, err, new(*Error), "seed %d step %d", seed, step)
				}
			case op < 8: // the reader consumes some of what arrived
				avail := s.highestReceived - s.bytesRead
				if avail > 0 && !s.abandoned {
					n := wire.ByteCount(rng.Uint64N(uint64(avail) + 1))
					s.AddBytesRead(n)
					read[i] += n
				}
				s.GetWindowUpdate(now)
				conn.GetWindowUpdate(now)
			case op < 9:
				conn.GetWindowUpdate(now)
			default:
				if rng.IntN(10) == 0 {
					s.Abandon()
				}
			}
			var sumReceived, sumRead wire.ByteCount
			for j, st := range streams {
				require.LessOrEqual(t, st.highestReceived, st.limit)
				require.LessOrEqual(t, st.bytesRead, st.highestReceived)
				require.LessOrEqual(t, st.windowSize, st.maxWindowSize)
				if !st.abandoned {
					require.Equal(t, read[j], st.bytesRead)
				}
				sumReceived += st.highestReceived
				sumRead += st.bytesRead
			}
			require.Equal(t, sumReceived, conn.highestReceived, "seed %d step %d", seed, step)
			require.Equal(t, sumRead, conn.bytesRead, "seed %d step %d", seed, step)
			require.LessOrEqual(t, conn.highestReceived, conn.limit)
			require.LessOrEqual(t, conn.windowSize, conn.maxWindowSize)
			require.GreaterOrEqual(t, s.limit, limitBefore, "limits never shrink")
			require.GreaterOrEqual(t, conn.limit, connLimitBefore, "limits never shrink")
		}
	}
}
