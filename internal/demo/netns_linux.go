package demo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

const (
	// netnsDir is where named namespaces are bind-mounted (as iproute2 does).
	netnsDir = "/run/netns"
	// namePrefix starts every namespace name the demo makes; sweepStale
	// relies on it: "stt-demo-<pid>-<rand>-a".
	namePrefix = "stt-demo-"
	// linkUpTimeout bounds the wait for the veth pair's carrier (the
	// kernel's linkwatch may defer it by up to a second).
	linkUpTimeout = 5 * time.Second
	// linkPollInterval is how often the veth's state is polled meanwhile.
	linkPollInterval = 5 * time.Millisecond
)

// onThread runs fn on a new goroutine locked to its OS thread and waits for
// it; fn may switch the thread's network namespace. Afterwards the thread is
// put back into the namespace it started in and unlocked. If that fails, it
// stays locked, so the runtime ends it with the goroutine instead of letting
// other goroutines run in the wrong namespace. The caller's own thread never
// changes namespace.
func onThread(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("open the current network namespace: %w", err)
			return
		}
		defer orig.Close()
		err = fn()
		if rerr := netns.Set(orig); rerr != nil {
			errc <- errors.Join(err, fmt.Errorf("return to the original network namespace: %w", rerr))
			return // still locked: the thread dies with this goroutine
		}
		runtime.UnlockOSThread()
		errc <- err
	}()
	return <-errc
}

// inNS runs fn on a thread inside ns (see onThread). Sockets and TUN
// devices fn creates belong to ns for their whole life, whichever goroutine
// uses them later; goroutines fn starts do not run in ns.
func inNS(ns netns.NsHandle, fn func() error) error {
	return onThread(func() error {
		if err := netns.Set(ns); err != nil {
			return fmt.Errorf("enter network namespace: %w", err)
		}
		return fn()
	})
}

// newNamedNS creates the network namespace name (a bind mount in netnsDir)
// with its loopback up, and returns a handle to it.
func newNamedNS(name string) (netns.NsHandle, error) {
	h := netns.None()
	err := onThread(func() error {
		var err error
		h, err = netns.NewNamed(name)
		if err != nil && !errors.Is(err, fs.ErrExist) {
			// NewNamed leaves its mount point behind when the bind mount fails.
			_ = os.Remove(filepath.Join(netnsDir, name))
		}
		return err
	})
	if err != nil {
		return netns.None(), err
	}
	nl, err := netlink.NewHandleAt(h)
	if err == nil {
		var lo netlink.Link
		if lo, err = nl.LinkByName("lo"); err == nil {
			err = nl.LinkSetUp(lo)
		}
		nl.Close()
	}
	if err != nil {
		h.Close()
		return netns.None(), errors.Join(fmt.Errorf("bring up lo: %w", err), deleteNamedNS(name))
	}
	return h, nil
}

// deleteNamedNS removes the name of a namespace; the kernel frees the
// namespace once nothing uses it any more.
func deleteNamedNS(name string) error {
	if err := netns.DeleteNamed(name); err != nil {
		return fmt.Errorf("delete namespace %s: %w", name, err)
	}
	return nil
}

// vethEnd is one end of the underlay veth pair.
type vethEnd struct {
	nl   *netlink.Handle // netlink inside the end's namespace
	name string
	addr netip.Prefix
}

// addVeth creates the veth pair a.name–b.name in a's namespace, moves b's
// end into bNS, gives both ends their addresses, brings them up and waits
// until both report operstate up, so that no early packet meets a link
// without carrier.
func addVeth(ctx context.Context, a, b vethEnd, bNS netns.NsHandle) error {
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: a.name}, PeerName: b.name}
	if err := a.nl.LinkAdd(veth); err != nil {
		return fmt.Errorf("create veth %s-%s: %w", a.name, b.name, err)
	}
	peer, err := a.nl.LinkByName(b.name)
	if err != nil {
		return fmt.Errorf("find veth end %s: %w", b.name, err)
	}
	if err := a.nl.LinkSetNsFd(peer, int(bNS)); err != nil {
		return fmt.Errorf("move veth end %s: %w", b.name, err)
	}
	for _, end := range []vethEnd{a, b} {
		link, err := end.nl.LinkByName(end.name)
		if err != nil {
			return fmt.Errorf("find veth end %s: %w", end.name, err)
		}
		ipn := &net.IPNet{IP: end.addr.Addr().AsSlice(), Mask: net.CIDRMask(end.addr.Bits(), end.addr.Addr().BitLen())}
		if err := end.nl.AddrAdd(link, &netlink.Addr{IPNet: ipn}); err != nil {
			return fmt.Errorf("add %v to %s: %w", end.addr, end.name, err)
		}
		if err := end.nl.LinkSetUp(link); err != nil {
			return fmt.Errorf("bring up %s: %w", end.name, err)
		}
	}
	for _, end := range []vethEnd{a, b} {
		if err := waitOperUp(ctx, end.nl, end.name); err != nil {
			return err
		}
	}
	return nil
}

// waitOperUp polls until the link name reports operstate up.
func waitOperUp(ctx context.Context, nl *netlink.Handle, name string) error {
	deadline := time.NewTimer(linkUpTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(linkPollInterval)
	defer tick.Stop()
	for {
		link, err := nl.LinkByName(name)
		if err != nil {
			return fmt.Errorf("find %s: %w", name, err)
		}
		if link.Attrs().OperState == netlink.OperUp {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s to come up: %w", name, ctx.Err())
		case <-deadline.C:
			return fmt.Errorf("%s not up after %v (operstate %v)", name, linkUpTimeout, link.Attrs().OperState)
		case <-tick.C:
		}
	}
}

// sweepStale deletes demo namespaces whose process no longer exists: a demo
// killed with SIGKILL runs no cleanup. It assumes the pid namespace that
// shares netnsDir, as on any ordinary machine.
func sweepStale() {
	entries, err := os.ReadDir(netnsDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, ok := ownerPid(e.Name())
		if !ok || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			_ = netns.DeleteNamed(e.Name()) // another demo may sweep it first
		}
	}
}

// ownerPid parses the pid out of a name "stt-demo-<pid>-<rand>-<side>".
func ownerPid(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, namePrefix)
	if !ok {
		return 0, false
	}
	fields := strings.Split(rest, "-")
	if len(fields) != 3 || len(fields[1]) != 8 || (fields[2] != "a" && fields[2] != "b") {
		return 0, false
	}
	if _, err := strconv.ParseUint(fields[1], 16, 32); err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(fields[0])
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, true
}
