package segment

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/sttcore"
	"github.com/seigr/stt-tun/sttcore/stc"
)

// nodePair returns the two ends of a session between two sttcore nodes on
// loopback; the nodes close when the test ends.
func nodePair(t testing.TB) (dialer, acceptor *sttcore.Session) {
	t.Helper()
	seed := []byte("segment tests shared seed")
	listen := func() *sttcore.Node {
		key, err := stc.GeneratePrivateKey()
		require.NoError(t, err)
		n, err := sttcore.Listen("127.0.0.1:0", &sttcore.Config{PrivateKey: key, SharedSeed: seed})
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, n.Close()) })
		return n
	}
	a, b := listen(), listen()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sa, err := a.Dial(ctx, b.PublicKey(), b.LocalAddr().String())
	require.NoError(t, err)
	sb, err := b.Accept(ctx)
	require.NoError(t, err)
	return sa, sb
}

// TestRoundTripNodes sends each payload on its own stream of a real session
// and checks SHA-256 and the header on the other side.
func TestRoundTripNodes(t *testing.T) {
	sa, sb := nodePair(t)
	key := []byte("per-transfer key")
	for _, tt := range sizeTests {
		for _, live := range []bool{false, true} {
			name := tt.name
			if live {
				name += "/live"
			}
			t.Run(name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				payload := randomBytes(tt.size, 4)
				size := int64(tt.size)
				if live {
					size = UnknownSize
				}
				st, err := sa.OpenStream(ctx)
				require.NoError(t, err)
				sent := make(chan error, 1)
				start := time.Now()
				go func() {
					err := Send(ctx, st, "data", bytes.NewReader(payload), size, Options{Key: key})
					if err == nil {
						err = st.CloseWrite()
					}
					sent <- err
				}()
				peer, err := sb.AcceptStream(ctx)
				require.NoError(t, err)
				h := sha256.New()
				got, err := Receive(ctx, peer, h, Options{Key: key})
				require.NoError(t, err)
				require.NoError(t, <-sent)
				require.Equal(t, sha(payload), [32]byte(h.Sum(nil)))
				require.Equal(t, Header{Name: "data", Size: size, Chunk: DefaultChunkSize}, got)
				if tt.size >= 1<<20 {
					d := time.Since(start)
					t.Logf("%d MiB in %v: %.1f MB/s", tt.size>>20, d.Round(time.Millisecond), float64(tt.size)/d.Seconds()/1e6)
				}
				// The stream is still usable after the end marker: a reply.
				_, err = peer.Write([]byte("ok"))
				require.NoError(t, err)
				require.NoError(t, peer.Close())
				reply, err := io.ReadAll(st)
				require.NoError(t, err)
				require.Equal(t, "ok", string(reply))
			})
		}
	}
}

// TestTruncatedStream closes a real stream before the end marker: the
// receiver must not take it for the whole payload.
func TestTruncatedStream(t *testing.T) {
	sa, sb := nodePair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	payload := randomBytes(300<<10, 5)
	stream := encode(t, Header{Name: "cut", Size: int64(len(payload))}, payload, 0, Options{})
	for _, cut := range []int{len(stream) - 1, len(stream) - SumSize - 1, len(stream) / 2} {
		st, err := sa.OpenStream(ctx)
		require.NoError(t, err)
		_, err = st.Write(stream[:cut])
		require.NoError(t, err)
		require.NoError(t, st.CloseWrite())
		peer, err := sb.AcceptStream(ctx)
		require.NoError(t, err)
		_, err = Receive(ctx, peer, io.Discard, Options{})
		fe := requireFormatError(t, err, io.ErrUnexpectedEOF)
		require.Equal(t, int64(cut), fe.Offset)
		require.NoError(t, peer.Close())
		require.NoError(t, st.Close())
	}
}
