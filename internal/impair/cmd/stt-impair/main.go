// Command stt-impair runs an impairing UDP relay (package internal/impair)
// from flags, so that shell-driven and network-namespace tests can put
// delay, jitter, reordering, duplication, corruption, loss and a rate cap
// on a UDP path, in a middle namespace for instance:
//
//	ip netns exec mid stt-impair -listen 192.0.2.2:5000 -target 198.51.100.2:51820 \
//		-delay 20ms -jitter 5ms -loss 0.01 -dup 0.01 -corrupt 0.001
//
// It logs "relay up" with the listening address once it is ready, runs
// until SIGINT or SIGTERM, then logs the counters and exits with status 0.
// Invalid flags exit with status 2, other failures with status 1.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/seigr/stt-tun/internal/impair"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stderr)
	stop()
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.Is(err, errUsage):
		os.Exit(2)
	default:
		os.Exit(1)
	}
}

// errUsage marks errors in the command line.
var errUsage = errors.New("usage")

// run parses args, runs the relay until ctx ends and logs to logw.
func run(ctx context.Context, args []string, logw io.Writer) error {
	log := slog.New(slog.NewTextHandler(logw, nil))
	fs := flag.NewFlagSet("stt-impair", flag.ContinueOnError)
	fs.SetOutput(logw)
	var (
		listen    = fs.String("listen", "127.0.0.1:0", "`address` to listen on for clients")
		target    = fs.String("target", "", "`address` to relay to (required)")
		direction = fs.String("direction", "both", "impair `dir`ection: both, up (clients to target) or down")
		cfg       impair.Config
	)
	fs.Float64Var(&cfg.Loss, "loss", 0, "`probability` (0..1) of dropping a datagram")
	fs.DurationVar(&cfg.Delay, "delay", 0, "one-way `delay` added to every datagram")
	fs.DurationVar(&cfg.Jitter, "jitter", 0, "uniformly random extra delay in [0, `jitter`)")
	fs.Float64Var(&cfg.Reorder, "reorder", 0, "`probability` (0..1) of holding a datagram back by -reorder-delay")
	fs.DurationVar(&cfg.ReorderDelay, "reorder-delay", 0, "extra `delay` of reordered datagrams (0: 10ms)")
	fs.Float64Var(&cfg.Duplicate, "dup", 0, "`probability` (0..1) of sending a datagram twice")
	fs.Float64Var(&cfg.Corrupt, "corrupt", 0, "`probability` (0..1) of changing one payload byte")
	fs.Int64Var(&cfg.RateBps, "rate", 0, "throughput cap in `bytes/s` per direction (0: none)")
	fs.IntVar(&cfg.QueueLimit, "queue", 0, "most `datagrams` held per direction (0: 10000)")
	fs.Uint64Var(&cfg.Seed, "seed", 0, "random `seed`; equal seeds and traffic give equal decisions")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return usagef(logw, "unexpected arguments %q", fs.Args())
	}
	if *target == "" {
		return usagef(logw, "-target is required")
	}
	var up, down impair.Config
	switch *direction {
	case "both":
		up, down = cfg, cfg
	case "up":
		up = cfg
	case "down":
		down = cfg
	default:
		return usagef(logw, "-direction %q: want both, up or down", *direction)
	}

	r, err := impair.NewRelay(ctx, *listen, *target, up)
	if err != nil {
		if errors.Is(err, impair.ErrInvalidConfig) {
			return usagef(logw, "%v", err)
		}
		log.Error("cannot start", "err", err)
		return err
	}
	if err := r.SetDirectionConfig(impair.Down, down); err != nil {
		r.Close()
		return usagef(logw, "%v", err)
	}
	log.Info("relay up", "listen", r.Addr().String(), "target", *target, "direction", *direction,
		"loss", cfg.Loss, "delay", cfg.Delay, "jitter", cfg.Jitter, "reorder", cfg.Reorder,
		"dup", cfg.Duplicate, "corrupt", cfg.Corrupt, "rate", cfg.RateBps)

	<-r.Context().Done()
	cause := context.Cause(r.Context())
	closeErr := r.Close()
	st := r.Stats()
	for _, d := range []struct {
		name string
		s    impair.DirectionStats
	}{{"up", st.Up}, {"down", st.Down}} {
		log.Info("stats", "direction", d.name, "received", d.s.Received, "forwarded", d.s.Forwarded,
			"dropped_loss", d.s.DroppedLoss, "dropped_queue", d.s.DroppedQueue, "duplicated", d.s.Duplicated,
			"corrupted", d.s.Corrupted, "reordered", d.s.Reordered, "send_errors", d.s.SendErrors,
			"max_queued", d.s.MaxQueued)
	}
	if ctx.Err() == nil {
		// The relay stopped by itself: that is a failure.
		log.Error("relay stopped", "cause", cause)
		return fmt.Errorf("relay stopped: %w", cause)
	}
	if closeErr != nil {
		log.Error("close", "err", closeErr)
		return closeErr
	}
	log.Info("relay down")
	return nil
}

// usagef logs a command-line error and returns it marked as errUsage.
func usagef(w io.Writer, format string, args ...any) error {
	err := fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
	fmt.Fprintf(w, "stt-impair: %v\nRun stt-impair -h for the flags.\n", err)
	return err
}
