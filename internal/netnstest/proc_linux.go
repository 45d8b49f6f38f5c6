//go:build linux

package netnstest

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	// stopGrace is how long Stop waits after SIGTERM before SIGKILL.
	stopGrace = 5 * time.Second
	// pipeWaitDelay bounds how long a process's exit waits for children
	// that still hold its output pipe.
	pipeWaitDelay = 2 * time.Second
)

// Proc is a background process started in a namespace by [NS.Start]. It
// leads its own process group, so stopping it stops whatever it spawned.
// Its methods are safe for concurrent use.
type Proc struct {
	cmd  *exec.Cmd
	out  syncBuffer
	done chan struct{}
	err  error // Wait's result; written before done is closed

	stopOnce sync.Once
}

// Start runs args in the background inside ns. The process is stopped
// (SIGTERM, then SIGKILL after 5 s) and waited for at cleanup of t or of ns,
// whichever comes first. Start fails the test if the command cannot start.
func (ns *NS) Start(t testing.TB, args ...string) *Proc {
	t.Helper()
	if len(args) == 0 {
		t.Fatalf("netnstest: Start needs a command")
	}
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns.Name}, args...)...)
	p := &Proc{cmd: cmd, done: make(chan struct{})}
	cmd.Stdout = &p.out
	cmd.Stderr = &p.out
	cmd.WaitDelay = pipeWaitDelay
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid: true,
		// A test binary killed by -timeout runs no cleanup; take the
		// process down with it.
		Pdeathsig: syscall.SIGKILL,
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("netnstest: start %s in %s: %v", strings.Join(args, " "), ns.Name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	ns.mu.Lock()
	ns.procs = append(ns.procs, p)
	ns.mu.Unlock()
	t.Cleanup(func() { _ = p.Stop() })
	return p
}

// Pid returns the process id (ip netns exec replaces itself with the
// command, so this is the command's pid).
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the process has exited and been waited for.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Wait waits for the process to exit and returns its exit error (nil after
// a clean exit), or ctx's cause if ctx ends first.
func (p *Proc) Wait(ctx context.Context) error {
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// Stop sends SIGTERM to the process group, SIGKILL if it has not exited
// after 5 s, waits for it, and returns what [Proc.Wait] would: nil if the
// program exited cleanly on SIGTERM, an *exec.ExitError otherwise. Stop is
// idempotent.
func (p *Proc) Stop() error {
	p.stopOnce.Do(func() {
		pgid := p.cmd.Process.Pid
		select {
		case <-p.done:
		default:
			_ = syscall.Kill(-pgid, syscall.SIGTERM)
			t := time.NewTimer(stopGrace)
			select {
			case <-p.done:
			case <-t.C:
				_ = syscall.Kill(-pgid, syscall.SIGKILL)
				<-p.done
			}
			t.Stop()
			// Whatever the leader left behind in its group goes too.
			// (Only here: long after an exit of its own, the pid may have
			// been reused.)
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
		}
	})
	<-p.done
	return p.err
}

// Output returns the combined stdout and stderr written so far.
func (p *Proc) Output() string { return p.out.String() }

// String describes the process for messages.
func (p *Proc) String() string {
	return fmt.Sprintf("pid %d: %s", p.Pid(), strings.Join(p.cmd.Args, " "))
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
