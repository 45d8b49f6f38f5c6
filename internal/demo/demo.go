package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"time"

	"github.com/seigr/stt-tun/tun"
)

// DefaultDuration is how long the TCP push lasts when Options.Duration is zero.
const DefaultDuration = 3 * time.Second

const (
	// tunPath is the TUN clone device every TUN interface is made through.
	tunPath = "/dev/net/tun"
	// tunName is the TUN device in each namespace.
	tunName = "stt0"
)

var (
	// ErrNotRoot is returned by Run when the process is not root.
	ErrNotRoot = errors.New("stt-tun demo needs root: run `sudo stt-tun demo`")
	// ErrNotSupported is returned by Run on systems other than Linux.
	ErrNotSupported = errors.New("stt-tun demo needs Linux (network namespaces and TUN devices)")
)

// Options configures Run. The zero value is valid.
type Options struct {
	// Out receives the demo's report, a few lines of plain text. Nil
	// discards it.
	Out io.Writer
	// Duration is how long the TCP push from a to b lasts. Zero (or a
	// negative value) means DefaultDuration.
	Duration time.Duration
	// Logger receives the engines' and devices' logs. Nil discards them.
	Logger *slog.Logger
}

// Run builds two hosts in network namespaces joined by a veth pair, runs an
// stt-tun tunnel between them, measures it (handshake, ping over IPv4 and
// IPv6, TCP throughput, engine figures) and reports to opts.Out. Before it
// returns it removes everything it created, also when a step fails or ctx is
// cancelled.
//
// Errors: ErrNotRoot when not root; an error wrapping tun.ErrNoTUNDevice
// without /dev/net/tun; ErrNotSupported off Linux; otherwise the failed step's
// error, wrapped with what was being done (it wraps ctx.Err(), e.g.
// context.Canceled, when the context ended the demo), joined with any error
// met while cleaning up.
func Run(ctx context.Context, opts Options) error {
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	if opts.Duration <= 0 {
		opts.Duration = DefaultDuration
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return run(ctx, opts)
}

// checkHost reports whether a process with effective user id euid can run
// the demo on a machine whose TUN clone device is at devPath.
func checkHost(euid int, devPath string) error {
	if euid != 0 {
		return ErrNotRoot
	}
	if _, err := os.Stat(devPath); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("stt-tun demo needs %s (load the tun module: modprobe tun): %w", devPath, tun.ErrNoTUNDevice)
		}
		return fmt.Errorf("stt-tun demo: checking %s: %w", devPath, err)
	}
	return nil
}
