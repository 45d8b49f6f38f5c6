package control

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// nobody is the uid the permission tests connect as.
const nobody = 65534

// callAs runs Call on an OS thread whose effective uid is uid. The uid is
// changed with a raw setresuid, which affects only the calling thread
// (syscall.Setresuid would change every thread of the test). The goroutine
// ends locked to its thread, so the runtime discards the thread afterwards.
func callAs(t *testing.T, uid int, path string) error {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("connecting as another uid needs root")
	}
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with us
		keep := ^uintptr(0)    // -1: leave the real and saved uids alone
		if _, _, e := unix.RawSyscall(unix.SYS_SETRESUID, keep, uintptr(uid), keep); e != 0 {
			errc <- e
			return
		}
		if got := unix.Geteuid(); got != uid {
			errc <- unix.EPERM
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		errc <- Call(ctx, path, "status", nil, nil)
	}()
	return <-errc
}

func TestPermission(t *testing.T) {
	tests := []struct {
		name     string
		dirMode  os.FileMode // of the socket's directory
		sockMode os.FileMode // 0: as Listen left it
		want     string      // "": ErrPermission from the kernel; else a RemoteError
	}{
		{"as Listen made it", 0, 0, ""},
		{"directory open, socket 0600", 0o755, 0, ""},
		{"both open by mistake, peer credentials refuse", 0o755, 0o666,
			"uid 65534 may not use this control socket: run as root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(shortDir(t), "run")
			ts := listenTest(t, filepath.Join(dir, "ctl.sock"), testHandlers(nil)).start()
			if tt.dirMode != 0 {
				require.NoError(t, os.Chmod(filepath.Dir(dir), tt.dirMode))
				require.NoError(t, os.Chmod(dir, tt.dirMode))
			}
			if tt.sockMode != 0 {
				require.NoError(t, os.Chmod(ts.Path(), tt.sockMode))
			}
			err := callAs(t, nobody, ts.Path())
			if tt.want == "" {
				require.ErrorIs(t, err, ErrPermission)
				require.EqualError(t, err, "permission denied on control socket "+ts.Path()+": run as root")
			} else {
				var re *RemoteError
				require.ErrorAs(t, err, &re)
				require.Contains(t, re.Msg, tt.want)
			}
			require.NoError(t, Call(testCtx(t), ts.Path(), "status", nil, nil), "root still gets in")
		})
	}
}
