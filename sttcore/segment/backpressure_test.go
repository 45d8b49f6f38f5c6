package segment

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// pausedFor is how long a test watches a Write that must stay blocked. A
// Write that returns in that time fails the test; one that would return
// later cannot make it pass wrongly, so a slow machine gives no false
// failure.
const pausedFor = 300 * time.Millisecond

// requireBlocked asserts that nothing arrives on done for pausedFor.
func requireBlocked(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		t.Fatalf("Write returned (%v) while the reader is paused", err)
	case <-time.After(pausedFor):
	}
}

func requireDone(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("Write still blocked after the reader resumed")
	}
}

// TestBackPressurePipe: over net.Pipe (no buffer at all), Encoder.Write
// blocks once its one chunk is full and the reader does not read.
func TestBackPressurePipe(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	const chunk = 1 << 10
	enc, err := NewEncoder(a, Header{Name: "bp", Size: UnknownSize}, Options{ChunkSize: chunk})
	require.NoError(t, err)

	// One chunk is taken without the reader.
	n, err := enc.Write(make([]byte, chunk))
	require.NoError(t, err)
	require.Equal(t, chunk, n)

	payload := randomBytes(64<<10, 6)
	done := make(chan error, 1)
	go func() {
		_, err := enc.Write(payload)
		if err == nil {
			err = enc.Close()
		}
		done <- err
	}()
	requireBlocked(t, done)

	var got bytes.Buffer
	read := make(chan error, 1)
	go func() {
		d, err := NewDecoder(b, Options{})
		if err == nil {
			_, err = io.Copy(&got, d)
		}
		read <- err
	}()
	requireDone(t, done)
	require.NoError(t, <-read)
	require.Equal(t, append(make([]byte, chunk), payload...), got.Bytes())
}

// TestBackPressureStream: over an sttcore stream, a paused receiver stops
// the sender once the stream's buffers are full, and it goes on when the
// receiver reads again.
func TestBackPressureStream(t *testing.T) {
	sa, sb := nodePair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const size = 40 << 20 // far more than the stream's send buffer and window
	payload := randomBytes(size, 7)

	st, err := sa.OpenStream(ctx)
	require.NoError(t, err)
	enc, err := NewEncoder(st, Header{Name: "bp", Size: size}, Options{})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		_, err := enc.Write(payload)
		if err == nil {
			err = enc.Close()
		}
		if err == nil {
			err = st.CloseWrite()
		}
		done <- err
	}()
	peer, err := sb.AcceptStream(ctx)
	require.NoError(t, err)
	d, err := NewDecoder(peer, Options{})
	require.NoError(t, err)

	requireBlocked(t, done)
	written := st.Stats().BytesWritten
	require.Less(t, written, uint64(size/2), "the stream took far more than its buffers")
	t.Logf("paused: the stream took %d KiB of %d", written>>10, size>>10)

	got := make([]byte, 0, size)
	buf := make([]byte, 64<<10)
	for {
		n, err := d.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
	}
	requireDone(t, done)
	require.Equal(t, sha(payload), sha(got))
}

// TestSendContext: cancelling the context interrupts a Send blocked on a
// reader that does not read.
func TestSendContext(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Send(ctx, a, "stuck", bytes.NewReader(make([]byte, 1<<20)), 1<<20, Options{})
	}()
	requireBlocked(t, done)
	cancel()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("Send ignored the cancelled context")
	}
	// The deadline Send set is cleared again.
	go func() { _, _ = b.Read(make([]byte, 1)) }()
	_, err := a.Write([]byte{1})
	require.NoError(t, err)
}

// TestReceiveContext: a deadline interrupts a Receive blocked on a sender
// that sends nothing, and an ended context stops Receive at once.
func TestReceiveContext(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := Receive(ctx, b, io.Discard, Options{})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.False(t, errors.Is(err, os.ErrDeadlineExceeded), "the cause, not the deadline trick: %v", err)

	done, stop := context.WithCancel(context.Background())
	stop()
	_, err = Receive(done, bytes.NewReader(encode(t, Header{Name: "x", Size: 1}, []byte{1}, 0, Options{})), io.Discard, Options{})
	require.ErrorIs(t, err, context.Canceled)
	err = Send(done, io.Discard, "x", bytes.NewReader([]byte{1}), 1, Options{})
	require.ErrorIs(t, err, context.Canceled)
}
