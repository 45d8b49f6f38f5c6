package control

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// staleSocket leaves a socket file at path that nobody listens on, as a
// killed daemon does.
func staleSocket(t *testing.T, path string) {
	t.Helper()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	require.NoError(t, err)
	ln.SetUnlinkOnClose(false)
	require.NoError(t, ln.Close())
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	require.Equal(t, os.ModeSocket, fi.Mode().Type())
}

func TestStaleSocketReplaced(t *testing.T) {
	path := filepath.Join(shortDir(t), "ctl.sock")
	staleSocket(t, path)
	err := Call(testCtx(t), path, "status", nil, nil)
	require.ErrorIs(t, err, ErrNotRunning, "a stale socket refuses connections")

	ts := listenTest(t, path, testHandlers(nil)).start()
	require.NoError(t, Call(testCtx(t), path, "status", nil, nil))
	ts.stop(t)
}

func TestListenInUse(t *testing.T) {
	path := filepath.Join(shortDir(t), "ctl.sock")
	first := listenTest(t, path, testHandlers(nil)).start()

	second, err := Listen(path, testHandlers(nil), nil)
	require.Nil(t, second)
	require.ErrorIs(t, err, ErrInUse)
	require.EqualError(t, err, "another stt-tun is running with control socket "+path+
		": stop it with `stt-tun down` first")

	// The first server keeps its socket and answers.
	var got statusResult
	require.NoError(t, Call(testCtx(t), path, "status", nil, &got))
	require.Equal(t, "stt0", got.Interface)
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	require.True(t, os.SameFile(fi, first.file))
}

func TestListenInUseBeforeServe(t *testing.T) {
	// A server that has not started Serve still owns its socket: the
	// kernel queues connections for it.
	path := filepath.Join(shortDir(t), "ctl.sock")
	listenTest(t, path, nil)
	_, err := Listen(path, nil, nil)
	require.ErrorIs(t, err, ErrInUse)
}

func TestListenRefusesNonSocket(t *testing.T) {
	tests := []struct {
		name   string
		create func(t *testing.T, path string)
	}{
		{"regular file", func(t *testing.T, path string) {
			require.NoError(t, os.WriteFile(path, []byte("keep me\n"), 0o644))
		}},
		{"directory", func(t *testing.T, path string) {
			require.NoError(t, os.Mkdir(path, 0o700))
		}},
		{"symlink to a socket", func(t *testing.T, path string) {
			target := path + ".real"
			staleSocket(t, target)
			require.NoError(t, os.Symlink(target, path))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(shortDir(t), "ctl.sock")
			tt.create(t, path)
			before, err := os.Lstat(path)
			require.NoError(t, err)

			s, err := Listen(path, nil, nil)
			require.Nil(t, s)
			require.ErrorIs(t, err, ErrNotSocket)
			require.ErrorContains(t, err, path)

			after, err := os.Lstat(path)
			require.NoError(t, err, "Listen removed it")
			require.True(t, os.SameFile(before, after))
			require.Equal(t, before.Mode(), after.Mode())
		})
	}
}

func TestListenBadPaths(t *testing.T) {
	dir := shortDir(t)
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	tests := []struct {
		name string
		path string
		want string
	}{
		{"too long", filepath.Join(dir, strings.Repeat("x", 120)), "longer than the 107 a unix socket allows"},
		{"parent is a file", filepath.Join(file, "ctl.sock"), "is not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Listen(tt.path, nil, nil)
			require.Nil(t, s)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestSocketModes(t *testing.T) {
	// Umask is process-wide: this test must not run in parallel.
	for _, umask := range []int{0o000, 0o022, 0o077} {
		t.Run(fmt.Sprintf("umask %#o", umask), func(t *testing.T) {
			old := syscall.Umask(umask)
			defer syscall.Umask(old)

			dir := filepath.Join(shortDir(t), "run", "stt-tun")
			path := filepath.Join(dir, "stt0.sock")
			ts := listenTest(t, path, testHandlers(nil)).start()

			fi, err := os.Lstat(path)
			require.NoError(t, err)
			require.Equal(t, os.ModeSocket, fi.Mode().Type())
			require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
			di, err := os.Stat(dir)
			require.NoError(t, err)
			require.Equal(t, os.FileMode(0o700), di.Mode().Perm())
			require.NoError(t, Call(testCtx(t), path, "status", nil, nil))
			ts.stop(t)
		})
	}

	t.Run("existing directory kept", func(t *testing.T) {
		dir := shortDir(t)
		require.NoError(t, os.Chmod(dir, 0o755))
		listenTest(t, filepath.Join(dir, "ctl.sock"), nil)
		di, err := os.Stat(dir)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o755), di.Mode().Perm())
	})
}

func TestCallNotRunning(t *testing.T) {
	dir := shortDir(t)
	file := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	stale := filepath.Join(dir, "stale.sock")
	staleSocket(t, stale)
	tests := []struct {
		name string
		path string
	}{
		{"no file", filepath.Join(dir, "none.sock")},
		{"no directory", filepath.Join(dir, "none", "ctl.sock")},
		{"stale socket", stale},
		{"path through a file", filepath.Join(file, "ctl.sock")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Call(testCtx(t), tt.path, "status", nil, nil)
			require.ErrorIs(t, err, ErrNotRunning)
			require.ErrorContains(t, err, "no control socket at "+tt.path)
		})
	}
}

func TestCallContext(t *testing.T) {
	ts := startServer(t, nil)
	expired, cancel := context.WithTimeout(context.Background(), -1)
	defer cancel()
	cancelled, cancel2 := context.WithCancel(context.Background())
	cancel2()

	tests := []struct {
		name string
		ctx  func(t *testing.T) context.Context
		path string
		want error
	}{
		{"expired", func(*testing.T) context.Context { return expired }, ts.Path(), context.DeadlineExceeded},
		{"expired, no daemon", func(*testing.T) context.Context { return expired }, ts.Path() + ".none", context.DeadlineExceeded},
		{"cancelled", func(*testing.T) context.Context { return cancelled }, ts.Path(), context.Canceled},
		{"deadline while the handler runs", func(t *testing.T) context.Context {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			t.Cleanup(cancel)
			return ctx
		}, ts.Path(), context.DeadlineExceeded},
		{"cancelled while the handler runs", func(t *testing.T) context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			t.Cleanup(cancel)
			time.AfterFunc(50*time.Millisecond, cancel)
			return ctx
		}, ts.Path(), context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// "block" holds until the server closes.
			err := Call(tt.ctx(t), tt.path, "block", nil, nil)
			require.ErrorIs(t, err, tt.want)
		})
	}
}
