package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"os"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"

	"github.com/seigr/stt-tun/overlay"
	"github.com/seigr/stt-tun/sttcore"
	"github.com/seigr/stt-tun/sttcore/stc"
	"github.com/seigr/stt-tun/tun"
)

const (
	// tunMTU is the TUN device's MTU (tun.DefaultMTU).
	tunMTU = tun.DefaultMTU
	// listenPort is each engine's UDP port on the underlay.
	listenPort = 51820
)

// side is the fixed plan of one host.
type side struct {
	label    string       // "a" or "b"
	veth     string       // its end of the underlay veth pair
	underlay netip.Prefix // the veth's address
	overlay4 netip.Prefix // stt0's addresses
	overlay6 netip.Prefix
}

// sides are the two hosts, a and b.
var sides = [2]side{
	{"a", "veth-a", netip.MustParsePrefix("10.231.0.1/24"),
		netip.MustParsePrefix("10.232.0.1/24"), netip.MustParsePrefix("fd32::1/64")},
	{"b", "veth-b", netip.MustParsePrefix("10.231.0.2/24"),
		netip.MustParsePrefix("10.232.0.2/24"), netip.MustParsePrefix("fd32::2/64")},
}

// host is one side while the demo runs: its namespace, device and engine.
// Fields are set as they are created; teardown removes the ones set.
type host struct {
	side
	nsName string
	ns     netns.NsHandle
	nl     *netlink.Handle // netlink inside ns
	key    stc.PrivateKey
	dev    *tun.Device
	eng    *overlay.Engine
}

func (h *host) listenAddr() netip.AddrPort {
	return netip.AddrPortFrom(h.underlay.Addr(), listenPort)
}

// demo is one Run.
type demo struct {
	out   io.Writer
	log   *slog.Logger
	dur   time.Duration
	hosts [2]*host
}

func run(ctx context.Context, opts Options) (err error) {
	if err := checkHost(os.Geteuid(), tunPath); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	sweepStale()
	d := newDemo(opts)
	defer func() { err = errors.Join(err, d.teardown()) }()

	a, b := d.hosts[0], d.hosts[1]
	d.printf("stt-tun demo: two hosts in network namespaces %s and -%s, joined by a veth pair\n", a.nsName, b.label)
	for _, h := range d.hosts {
		d.printf("  host %s: %v (underlay)  %v / %v on %s (overlay)\n",
			h.label, h.underlay.Addr(), h.overlay4.Addr(), h.overlay6.Addr(), tunName)
	}
	if err := d.build(ctx); err != nil {
		return err
	}
	start := time.Now()
	if err := d.startEngines(); err != nil {
		return err
	}
	took, err := waitHandshake(ctx, a.eng, b.eng, start)
	if err != nil {
		return fmt.Errorf("demo: handshake: %w", err)
	}
	d.printf("handshake: %s\n", formatMS(took))

	dst4, dst6 := b.overlay4.Addr(), b.overlay6.Addr()
	p4, err := ping(ctx, a.ns, dst4, pingCount)
	if err != nil {
		return fmt.Errorf("demo: ping %v: %w", dst4, err)
	}
	d.printf("ping %v: %s\n", dst4, p4)
	p6, err := ping(ctx, a.ns, dst6, 1)
	if err != nil {
		return fmt.Errorf("demo: ping %v: %w", dst6, err)
	}
	d.printf("ping %v: %s\n", dst6, p6)
	if p4.replies() == 0 || p6.replies() == 0 {
		return fmt.Errorf("demo: ping: %w", errNoReplies)
	}

	t, err := tcpPush(ctx, a.ns, b.ns, netip.AddrPortFrom(dst4, tcpPort), d.dur)
	if err != nil {
		return fmt.Errorf("demo: tcp a -> b: %w", err)
	}
	d.printf("tcp a -> b: %s (%s in %.1f s), all bytes arrived\n",
		formatRate(t.bytes, t.elapsed), formatBytes(uint64(t.bytes)), t.elapsed.Seconds())

	for _, line := range figures(settledStatus(ctx, a.eng, b.eng)) {
		d.printf("%s\n", line)
	}
	if err := ctx.Err(); err != nil { // a cancel after the last step still counts
		return fmt.Errorf("demo: %w", err)
	}
	return nil
}

// newDemo plans a run: unique namespace names "stt-demo-<pid>-<rand>-a"
// and "-b" (the random part keeps parallel runs of one process apart).
func newDemo(opts Options) *demo {
	d := &demo{out: opts.Out, log: opts.Logger, dur: opts.Duration}
	base := fmt.Sprintf("%s%d-%08x", namePrefix, os.Getpid(), rand.Uint32())
	for i, s := range sides {
		d.hosts[i] = &host{side: s, nsName: base + "-" + s.label, ns: netns.None()}
	}
	return d
}

func (d *demo) printf(format string, args ...any) {
	_, _ = fmt.Fprintf(d.out, format, args...)
}

// build creates the namespaces, the veth pair between them, the keys and
// both TUN devices.
func (d *demo) build(ctx context.Context) error {
	for _, h := range d.hosts {
		ns, err := newNamedNS(h.nsName)
		if err != nil {
			return fmt.Errorf("demo: create namespace %s: %w", h.nsName, err)
		}
		h.ns = ns
		if h.nl, err = netlink.NewHandleAt(ns); err != nil {
			return fmt.Errorf("demo: netlink in namespace %s: %w", h.nsName, err)
		}
		if h.key, err = stc.GeneratePrivateKey(); err != nil {
			return fmt.Errorf("demo: host %s: %w", h.label, err)
		}
	}
	a, b := d.hosts[0], d.hosts[1]
	err := addVeth(ctx,
		vethEnd{nl: a.nl, name: a.veth, addr: a.underlay},
		vethEnd{nl: b.nl, name: b.veth, addr: b.underlay}, b.ns)
	if err != nil {
		return fmt.Errorf("demo: underlay: %w", err)
	}
	for _, h := range d.hosts {
		err := inNS(h.ns, func() (err error) {
			h.dev, err = tun.Create(tun.Config{
				Name:      tunName,
				MTU:       tunMTU,
				Addresses: []netip.Prefix{h.overlay4, h.overlay6},
				Logger:    d.log.With("host", h.label),
			})
			return err
		})
		if err != nil {
			return fmt.Errorf("demo: host %s: create %s: %w", h.label, tunName, err)
		}
	}
	return ctx.Err()
}

// startEngines starts an engine in each namespace, each with the other
// host as its only peer.
func (d *demo) startEngines() error {
	seed, err := stc.GenerateSharedSeed()
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	for i, h := range d.hosts {
		other := d.hosts[1-i]
		cfg := overlay.Config{
			Device:     h.dev,
			Node:       sttcore.Config{PrivateKey: h.key, SharedSeed: seed},
			ListenAddr: h.listenAddr().String(),
			Addresses:  []netip.Prefix{h.overlay4, h.overlay6},
			Peers: []overlay.PeerConfig{{
				Name:      other.label,
				PublicKey: other.key.PublicKey(),
				Endpoint:  other.listenAddr().String(),
				AllowedIPs: []netip.Prefix{
					netip.PrefixFrom(other.overlay4.Addr(), 32),
					netip.PrefixFrom(other.overlay6.Addr(), 128),
				},
			}},
			Logger: d.log.With("host", h.label),
		}
		err := inNS(h.ns, func() (err error) {
			h.eng, err = overlay.New(cfg)
			return err
		})
		if err != nil {
			return fmt.Errorf("demo: host %s: start engine: %w", h.label, err)
		}
	}
	return nil
}

// teardown removes, in reverse order, whatever the demo created, and prints
// what it removed. It is safe after a partial build, and idempotent.
func (d *demo) teardown() error {
	var errs []error
	devices := 0
	for i := len(d.hosts) - 1; i >= 0; i-- {
		h := d.hosts[i]
		var err error
		switch {
		case h.eng != nil: // closes the device too
			err = h.eng.Close()
		case h.dev != nil:
			err = h.dev.Close()
		default:
			continue
		}
		h.eng, h.dev = nil, nil
		if err != nil {
			errs = append(errs, fmt.Errorf("demo: host %s: stop engine and %s: %w", h.label, tunName, err))
		} else {
			devices++
		}
	}

	vethRemoved := false
	if a := d.hosts[0]; a.nl != nil {
		// Deleting one end deletes the pair, wherever the other end is.
		link, err := a.nl.LinkByName(a.veth)
		if err == nil {
			if err := a.nl.LinkDel(link); err != nil {
				errs = append(errs, fmt.Errorf("demo: delete veth %s: %w", a.veth, err))
			} else {
				vethRemoved = true
			}
		} else if !errors.As(err, new(netlink.LinkNotFoundError)) {
			errs = append(errs, fmt.Errorf("demo: find veth %s: %w", a.veth, err))
		}
	}

	var namespaces []string
	for i := len(d.hosts) - 1; i >= 0; i-- {
		h := d.hosts[i]
		if h.nl != nil {
			h.nl.Close()
			h.nl = nil
		}
		if !h.ns.IsOpen() {
			continue
		}
		h.ns.Close() // sets h.ns to netns.None()
		if err := deleteNamedNS(h.nsName); err != nil {
			errs = append(errs, fmt.Errorf("demo: %w", err))
			continue
		}
		namespaces = append([]string{h.nsName}, namespaces...)
	}

	if line := removedLine(namespaces, vethRemoved, devices); line != "" {
		d.printf("%s\n", line)
	}
	return errors.Join(errs...)
}
