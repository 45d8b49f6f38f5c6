package transporttest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"
)

// ErrAddrInUse is returned by NewConn for an address that another open Conn
// of the network has (as its local or its public address).
var ErrAddrInUse = errors.New("transporttest: address in use")

// First and last ports handed out for port 0 and by Rebind.
const (
	firstEphemeralPort = 49152
	lastEphemeralPort  = 65535
)

// Network is a virtual network of Conns. Create it with NewNetwork and
// release its goroutine with Close.
type Network struct {
	mu         sync.Mutex
	cfg        Config                   // the network-wide impairments, defaults filled in
	links      map[link]Config          // per-direction overrides, by local addresses
	partitions map[link]struct{}        // partitioned pairs of local addresses, ordered
	routes     map[netip.AddrPort]*Conn // open Conns by public address: where packets go
	locals     map[netip.AddrPort]*Conn // open Conns by local address
	nextPort   uint16                   // the next ephemeral port to try
	rng        *rand.Rand               // every random decision
	seq        uint64                   // numbers packets for the heap's ties
	pending    packetHeap               // delayed packets
	closed     bool

	stats counters
	pool  sync.Pool // of *packet

	wake chan struct{} // one slot: the earliest release time changed
	done chan struct{} // closed by Close: routineDeliver returns
	wg   sync.WaitGroup
}

// link is a direction between two local addresses.
type link struct{ from, to netip.AddrPort }

// NewNetwork returns a network with the impairments of cfg, its random
// decisions seeded by cfg.Seed, and starts its delivery goroutine.
func NewNetwork(cfg Config) *Network {
	n := &Network{
		cfg:        cfg.withDefaults(),
		links:      make(map[link]Config),
		partitions: make(map[link]struct{}),
		routes:     make(map[netip.AddrPort]*Conn),
		locals:     make(map[netip.AddrPort]*Conn),
		nextPort:   firstEphemeralPort,
		rng:        rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		wake:       make(chan struct{}, 1),
		done:       make(chan struct{}),
	}
	n.pool.New = func() any { return new(packet) }
	n.wg.Add(1)
	go n.routineDeliver()
	return n
}

// NewConn opens a Conn at addr. addr must be unique among the network's open
// Conns (else the error wraps ErrAddrInUse); port 0 picks a free port from
// 49152 up. An IPv4-mapped IPv6 address counts as the IPv4 address. After
// Close it returns an error wrapping net.ErrClosed.
func (n *Network) NewConn(addr netip.AddrPort) (*Conn, error) {
	if !addr.Addr().IsValid() {
		return nil, fmt.Errorf("transporttest: new conn: invalid address %v", addr)
	}
	addr = unmap(addr)
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, fmt.Errorf("transporttest: new conn at %v: %w", addr, net.ErrClosed)
	}
	if addr.Port() == 0 {
		port, ok := n.freePortLocked(addr.Addr())
		if !ok {
			return nil, fmt.Errorf("transporttest: new conn at %v: no free port: %w", addr.Addr(), ErrAddrInUse)
		}
		addr = netip.AddrPortFrom(addr.Addr(), port)
	} else if n.inUseLocked(addr) {
		return nil, fmt.Errorf("transporttest: new conn at %v: %w", addr, ErrAddrInUse)
	}
	c := newConn(n, addr, n.cfg.QueueLimit)
	n.routes[addr] = c
	n.locals[addr] = c
	return c, nil
}

func (n *Network) inUseLocked(addr netip.AddrPort) bool {
	return n.routes[addr] != nil || n.locals[addr] != nil
}

// freePortLocked finds a port that no open Conn has at ip.
func (n *Network) freePortLocked(ip netip.Addr) (uint16, bool) {
	for range lastEphemeralPort - firstEphemeralPort + 1 {
		port := n.nextPort
		if n.nextPort == lastEphemeralPort {
			n.nextPort = firstEphemeralPort
		} else {
			n.nextPort++
		}
		if !n.inUseLocked(netip.AddrPortFrom(ip, port)) {
			return port, true
		}
	}
	return 0, false
}

// SetConfig replaces the network-wide impairments for packets written from
// now on (packets in flight keep their delay). Seed is ignored, and
// QueueLimit applies to Conns created afterwards.
func (n *Network) SetConfig(cfg Config) {
	n.mu.Lock()
	n.cfg = cfg.withDefaults()
	n.mu.Unlock()
}

// SetLink overrides the network's Config for packets from the Conn whose
// LocalAddr is from to the Conn whose LocalAddr is to, in that direction
// only, whatever public addresses Rebind gives them. Seed and QueueLimit are
// ignored. The override holds until ClearLink.
func (n *Network) SetLink(from, to netip.AddrPort, cfg Config) {
	n.mu.Lock()
	n.links[link{unmap(from), unmap(to)}] = cfg.withDefaults()
	n.mu.Unlock()
}

// ClearLink removes the override that SetLink set for from → to.
func (n *Network) ClearLink(from, to netip.AddrPort) {
	n.mu.Lock()
	delete(n.links, link{unmap(from), unmap(to)})
	n.mu.Unlock()
}

// Partition drops (on) or again carries (!on) every packet written between
// the Conns whose local addresses are a and b, both ways. Packets already in
// flight are delivered.
func (n *Network) Partition(a, b netip.AddrPort, on bool) {
	key := pair(unmap(a), unmap(b))
	n.mu.Lock()
	if on {
		n.partitions[key] = struct{}{}
	} else {
		delete(n.partitions, key)
	}
	n.mu.Unlock()
}

func pair(a, b netip.AddrPort) link {
	if b.Compare(a) < 0 {
		a, b = b, a
	}
	return link{a, b}
}

// Rebind plays a NAT that maps c to a new public address: a new port at the
// same IP. From now on peers see c's packets come from the new address,
// packets sent to it reach c, and packets sent to the old one (those in
// flight too) are dropped as NoRoute. c's LocalAddr does not change. It
// returns the new address, or the zero AddrPort if c is closed or belongs to
// another network.
func (n *Network) Rebind(c *Conn) netip.AddrPort {
	n.mu.Lock()
	defer n.mu.Unlock()
	if c.net != n || c.removed {
		return netip.AddrPort{}
	}
	port, ok := n.freePortLocked(c.public.Addr())
	if !ok {
		return netip.AddrPort{}
	}
	delete(n.routes, c.public)
	c.public = netip.AddrPortFrom(c.public.Addr(), port)
	n.routes[c.public] = c
	return c.public
}

// Stats returns the network's counters, a consistent snapshot but for
// DroppedShortBuffer, which readers count as they go.
func (n *Network) Stats() Stats {
	n.mu.Lock()
	defer n.mu.Unlock()
	s := &n.stats
	return Stats{
		Sent:               s.sent.Load(),
		Delivered:          s.delivered.Load(),
		Duplicated:         s.duplicated.Load(),
		Reordered:          s.reordered.Load(),
		InFlight:           uint64(len(n.pending)),
		DroppedLoss:        s.loss.Load(),
		DroppedQueue:       s.queue.Load(),
		DroppedPartition:   s.partition.Load(),
		DroppedMTU:         s.mtu.Load(),
		DroppedNoRoute:     s.noRoute.Load(),
		DroppedShortBuffer: s.shortBuffer.Load(),
	}
}

// Close closes every Conn, discards the packets in flight and stops the
// delivery goroutine, waiting for it. It is idempotent.
func (n *Network) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	for _, c := range n.locals {
		c.closeLocked()
	}
	for _, p := range n.pending {
		n.putPacket(p)
	}
	n.pending = nil
	close(n.done)
	n.mu.Unlock()
	n.wg.Wait()
	return nil
}

// sendLocked decides the fate of one packet from src to dst and delivers or
// schedules its copies. now is read from the clock at the first delay.
// It reports whether the earliest pending release time changed.
func (n *Network) sendLocked(src *Conn, b []byte, dst netip.AddrPort, now *time.Time) (wake bool) {
	n.stats.sent.Add(1)
	to := n.routes[dst]
	if to == nil {
		n.stats.noRoute.Add(1)
		return false
	}
	if _, cut := n.partitions[pair(src.local, to.local)]; cut {
		n.stats.partition.Add(1)
		return false
	}
	cfg := &n.cfg
	if override, ok := n.links[link{src.local, to.local}]; ok {
		cfg = &override
	}
	if len(b) > cfg.MTU {
		n.stats.mtu.Add(1)
		return false
	}
	if cfg.Loss > 0 && n.rng.Float64() < cfg.Loss {
		n.stats.loss.Add(1)
		return false
	}
	copies := 1
	if cfg.Duplicate > 0 && n.rng.Float64() < cfg.Duplicate {
		n.stats.duplicated.Add(1)
		copies = 2
	}
	for range copies {
		delay := cfg.Delay
		if cfg.Jitter > 0 {
			delay += time.Duration(n.rng.Int64N(int64(cfg.Jitter)))
		}
		if cfg.Reorder > 0 && n.rng.Float64() < cfg.Reorder {
			n.stats.reordered.Add(1)
			delay += cfg.reorderHold()
		}
		p := n.getPacket(b)
		p.src, p.dst = src.public, dst
		if delay == 0 {
			n.deliverLocked(p)
			continue
		}
		if now.IsZero() {
			*now = time.Now()
		}
		p.release = now.Add(delay)
		p.seq = n.seq
		n.seq++
		n.pending.push(p)
		wake = wake || n.pending[0] == p
	}
	return wake
}

// deliverLocked puts p in the receive queue of the Conn at its destination,
// or drops it.
func (n *Network) deliverLocked(p *packet) {
	to := n.routes[p.dst]
	switch {
	case to == nil:
		n.stats.noRoute.Add(1)
	case !to.enqueue(p):
		n.stats.queue.Add(1)
	default:
		n.stats.delivered.Add(1)
		return
	}
	n.putPacket(p)
}

// routineDeliver delivers delayed packets when their time comes, with one
// timer armed for the earliest.
func (n *Network) routineDeliver() {
	defer n.wg.Done()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-n.done:
			return
		case <-n.wake:
		case <-timer.C:
		}
		n.mu.Lock()
		now := time.Now()
		for len(n.pending) > 0 && !n.pending[0].release.After(now) {
			n.deliverLocked(n.pending.pop())
		}
		if len(n.pending) > 0 {
			timer.Reset(n.pending[0].release.Sub(now))
		}
		n.mu.Unlock()
	}
}

func (n *Network) getPacket(b []byte) *packet {
	p := n.pool.Get().(*packet)
	p.data = append(p.data[:0], b...)
	return p
}

func (n *Network) putPacket(p *packet) {
	p.data = p.data[:0]
	n.pool.Put(p)
}

func unmap(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
