package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	sddaemon "github.com/coreos/go-systemd/v22/daemon"

	"github.com/seigr/stt-tun/internal/config"
	"github.com/seigr/stt-tun/internal/control"
	"github.com/seigr/stt-tun/internal/schedpolicy"
	"github.com/seigr/stt-tun/overlay"
	"github.com/seigr/stt-tun/sttcore"
	"github.com/seigr/stt-tun/tun"
)

func cmdUp(args []string, _ io.Reader, _, stderr io.Writer) int {
	fs := flag.NewFlagSet("up", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "the configuration file (TOML), e.g. /etc/stt-tun/stt0.toml")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile (go tool pprof) to this file until stt-tun stops")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *path == "" {
		return fail(stderr, "up needs --config FILE (an example is in packaging/stt0.toml)")
	}
	if *cpuProfile != "" {
		f, err := os.OpenFile(*cpuProfile, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return fail(stderr, "--cpuprofile: %v", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return fail(stderr, "--cpuprofile %s: %v", *cpuProfile, err)
		}
		defer func() {
			pprof.StopCPUProfile()
			if err := f.Close(); err != nil {
				fmt.Fprintf(stderr, "stt-tun: --cpuprofile %s: %v\n", *cpuProfile, err)
			}
		}()
	}
	cfg, err := config.Load(*path)
	if err != nil {
		fmt.Fprintf(stderr, "stt-tun: configuration is not valid:\n%v\n", err)
		return 1
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.Interface.LogLevel}))
	// While packets flow, the engine's scheduler keeper (internal/schedkeep)
	// holds one P in a system call. One more P keeps the data path from
	// waiting for the runtime to take it back (up to 10 ms) when every
	// other P is busy: under a 500 Mbit/s UDP load such waits overflowed
	// the device's queue.
	// A GOMAXPROCS set in the environment is the operator's and is kept.
	// Setting it here also stops the runtime from following changes of a
	// cgroup CPU limit while stt-tun runs.
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + 1)
	}
	// Every thread, and each one the runtime starts later (they inherit it),
	// gets the configured CPU scheduling policy: by default SCHED_BATCH, so
	// that the tunnel's wake-ups do not preempt the applications it carries
	// (internal/schedpolicy). Failing that is not fatal: the tunnel works,
	// with more loss at the applications' sockets under load.
	if err := schedpolicy.Set(cfg.Interface.Scheduling); errors.Is(err, schedpolicy.ErrUnsupported) {
		log.Debug("CPU scheduling policies are not supported here", "err", err)
	} else if err != nil {
		log.Warn("setting the CPU scheduling policy", "policy", cfg.Interface.Scheduling, "err", err,
			"fix", `allow sched_setscheduler(2) to stt-tun, or set scheduling = "normal" in [interface]`)
	} else {
		log.Debug("CPU scheduling policy set", "policy", cfg.Interface.Scheduling)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d := &daemon{path: *path, cfg: cfg, log: log}
	if err := d.run(ctx); err != nil {
		return fail(stderr, "%v", err)
	}
	return 0
}

// daemon is a running `stt-tun up`.
type daemon struct {
	path string
	log  *slog.Logger

	mu  sync.Mutex // guards cfg (reload)
	cfg *config.Config

	engine   atomic.Pointer[overlay.Engine]
	downOnce sync.Once
	down     chan struct{}
}

// statusReply is what the control socket's "status" returns.
type statusReply struct {
	Interface string         `json:"interface"`
	Config    string         `json:"config"`
	Addresses []string       `json:"addresses"`
	MTU       int            `json:"mtu"`
	Status    overlay.Status `json:"status"`
}

func (d *daemon) run(ctx context.Context) error {
	d.down = make(chan struct{})
	ic := d.cfg.Interface
	handlers := map[string]control.Handler{
		"status": func(context.Context, json.RawMessage) (any, error) { return d.status() },
		"reload": func(context.Context, json.RawMessage) (any, error) { return d.reload() },
		"down": func(context.Context, json.RawMessage) (any, error) {
			d.downOnce.Do(func() { close(d.down) })
			return "stopping", nil
		},
	}
	// The control socket first: it tells whether this interface already runs,
	// before anything is created.
	srv, err := control.Listen(ic.ControlSocket, handlers, d.log)
	if err != nil {
		return err
	}
	defer srv.Close()

	dev, err := tun.Create(tun.Config{Name: ic.Name, MTU: ic.MTU, TxQueueLen: ic.TxQueueLen, Addresses: ic.Addresses, Logger: d.log})
	if err != nil {
		return err
	}
	eng, err := overlay.New(overlay.Config{
		Device:     dev,
		Node:       sttcore.Config{PrivateKey: ic.PrivateKey, SharedSeed: ic.SharedSeed},
		ListenAddr: fmt.Sprintf(":%d", ic.ListenPort),
		Addresses:  ic.Addresses,
		Peers:      peerConfigs(d.cfg),
		Logger:     d.log,
	})
	if err != nil {
		dev.Close()
		return err
	}
	d.engine.Store(eng)
	defer eng.Close() // closes the device: its routes and addresses go with it

	if ic.MetricsAddress != "" {
		mctx, cancel := context.WithCancel(ctx)
		defer cancel()
		collector := newStatusCollector(ic.Name, func() (overlay.Status, bool) {
			if e := d.engine.Load(); e != nil {
				return e.Status(), true
			}
			return overlay.Status{}, false
		})
		if err := serveMetrics(mctx, ic.MetricsAddress, collector, d.log); err != nil {
			return err
		}
	}

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve() }()
	if _, err := sddaemon.SdNotify(false, sddaemon.SdNotifyReady); err != nil {
		d.log.Warn("telling systemd we are ready", "err", err)
	}
	pub := ic.PrivateKey.PublicKey()
	d.log.Info("stt-tun up", "interface", ic.Name, "public_key", pub.String(),
		"listen_port", eng.Node().LocalAddr().Port(), "peers", len(d.cfg.Peers), "control", ic.ControlSocket)

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			d.log.Info("stopping: signal")
			return nil
		case <-d.down:
			d.log.Info("stopping: stt-tun down")
			return nil
		case err := <-serveErr:
			return fmt.Errorf("control socket: %w", err)
		case <-eng.Done():
			return eng.Err() // the device failed for good: exit non-zero, cleaning up
		case <-hup:
			if _, err := d.reload(); err != nil {
				d.log.Error("reload failed; the running peers are unchanged", "err", err)
			}
		}
	}
}

func (d *daemon) status() (statusReply, error) {
	e := d.engine.Load()
	if e == nil {
		return statusReply{}, errors.New("still starting")
	}
	d.mu.Lock()
	ic := d.cfg.Interface
	d.mu.Unlock()
	r := statusReply{Interface: ic.Name, Config: d.path, MTU: ic.MTU, Status: e.Status()}
	for _, a := range ic.Addresses {
		r.Addresses = append(r.Addresses, a.String())
	}
	return r, nil
}

// reload re-reads the configuration and applies its peers. Interface
// settings need a restart; a change to them is reported, not applied.
func (d *daemon) reload() (string, error) {
	e := d.engine.Load()
	if e == nil {
		return "", errors.New("still starting")
	}
	cfg, err := config.Load(d.path)
	if err != nil {
		return "", err
	}
	if err := e.SetPeers(peerConfigs(cfg)); err != nil {
		return "", err
	}
	d.mu.Lock()
	old := d.cfg.Interface
	d.cfg.Peers = cfg.Peers
	d.mu.Unlock()
	msg := fmt.Sprintf("reloaded %d peers", len(cfg.Peers))
	ni := cfg.Interface
	if ni.Name != old.Name || ni.PrivateKey != old.PrivateKey || ni.ListenPort != old.ListenPort || ni.MTU != old.MTU ||
		ni.TxQueueLen != old.TxQueueLen || ni.Scheduling != old.Scheduling ||
		!slices.Equal(ni.Addresses, old.Addresses) || string(ni.SharedSeed) != string(old.SharedSeed) {
		msg += "; [interface] changes take effect only after a restart (stt-tun down, then up)"
	}
	d.log.Info(msg)
	return msg, nil
}

func peerConfigs(cfg *config.Config) []overlay.PeerConfig {
	out := make([]overlay.PeerConfig, 0, len(cfg.Peers))
	for _, p := range cfg.Peers {
		out = append(out, overlay.PeerConfig{
			Name:                p.Name,
			PublicKey:           p.PublicKey,
			Endpoint:            p.Endpoint,
			AllowedIPs:          p.AllowedIPs,
			PersistentKeepalive: p.PersistentKeepalive,
		})
	}
	return out
}

// waitGone waits until path no longer exists (the daemon removed its socket).
func waitGone(path string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}
