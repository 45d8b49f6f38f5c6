package transporttest

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/seigr/stt-tun/sttcore/transport"
)

var _ transport.Conn = (*Conn)(nil)

// errNoBuffers is returned by ReadBatch when given nothing to fill.
var errNoBuffers = errors.New("transporttest: ReadBatch needs at least one buffer, size and endpoint")

// Conn is a transport.Conn on a virtual Network.
type Conn struct {
	net   *Network
	local netip.AddrPort

	// Guarded by net.mu.
	public  netip.AddrPort // the address peers see and send to
	removed bool           // closed: no longer in the network's maps

	mu     sync.Mutex
	queue  []*packet // ring buffer of received packets, len = queue limit
	head   int       // index of the oldest
	count  int
	closed bool

	ready chan struct{} // one slot: the queue may have packets
	done  chan struct{} // closed by Close
}

func newConn(n *Network, addr netip.AddrPort, queueLimit int) *Conn {
	return &Conn{
		net:    n,
		local:  addr,
		public: addr,
		queue:  make([]*packet, queueLimit),
		ready:  make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
}

// LocalAddr is the address the Conn was opened at. Rebind does not change
// it: see PublicAddr.
func (c *Conn) LocalAddr() netip.AddrPort { return c.local }

// PublicAddr is the address peers see the Conn's packets come from and send
// to: LocalAddr until Rebind gives it another.
func (c *Conn) PublicAddr() netip.AddrPort {
	c.net.mu.Lock()
	defer c.net.mu.Unlock()
	return c.public
}

// BatchSize is transport.IdealBatchSize.
func (c *Conn) BatchSize() int { return transport.IdealBatchSize }

// WriteBatch sends each of bufs as one packet to ep, copying it; the
// network then loses, delays, reorders or duplicates it as configured. It
// returns an error only when the Conn is closed (wrapping net.ErrClosed): a
// packet without a receiver is dropped and counted, as UDP does.
func (c *Conn) WriteBatch(bufs [][]byte, ep netip.AddrPort) error {
	n := c.net
	ep = unmap(ep)
	n.mu.Lock()
	if c.removed {
		n.mu.Unlock()
		return fmt.Errorf("transporttest: write from %v: %w", c.local, net.ErrClosed)
	}
	var now time.Time // read once, at the first delayed packet
	wake := false
	for _, b := range bufs {
		if n.sendLocked(c, b, ep, &now) {
			wake = true
		}
	}
	n.mu.Unlock()
	if wake {
		select {
		case n.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// ReadBatch blocks until at least one packet has arrived, then fills up to
// min(len(bufs), len(sizes), len(eps)) of them: bufs[i][:sizes[i]] came from
// eps[i], the sender's public address. A packet larger than its buffer is
// dropped (counted as DroppedShortBuffer). After Close it returns an error
// wrapping net.ErrClosed, even if packets were queued.
func (c *Conn) ReadBatch(bufs [][]byte, sizes []int, eps []netip.AddrPort) (int, error) {
	limit := min(len(bufs), len(sizes), len(eps))
	if limit == 0 {
		return 0, errNoBuffers
	}
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return 0, fmt.Errorf("transporttest: read on %v: %w", c.local, net.ErrClosed)
		}
		n := 0
		for n < limit && c.count > 0 {
			p := c.queue[c.head]
			c.queue[c.head] = nil
			c.head = (c.head + 1) % len(c.queue)
			c.count--
			if len(p.data) > len(bufs[n]) {
				c.net.stats.shortBuffer.Add(1)
			} else {
				sizes[n] = copy(bufs[n], p.data)
				eps[n] = p.src
				n++
			}
			c.net.putPacket(p)
		}
		more := c.count > 0
		c.mu.Unlock()
		if more { // for another reader
			c.signal()
		}
		if n > 0 {
			return n, nil
		}
		select {
		case <-c.ready:
		case <-c.done:
		}
	}
}

// Close closes the Conn: its address is free again, a blocked ReadBatch
// returns, and queued packets are discarded. It is idempotent.
func (c *Conn) Close() error {
	c.net.mu.Lock()
	c.closeLocked()
	c.net.mu.Unlock()
	return nil
}

// closeLocked closes c; the caller holds c.net.mu.
func (c *Conn) closeLocked() {
	if c.removed {
		return
	}
	c.removed = true
	n := c.net
	if n.routes[c.public] == c {
		delete(n.routes, c.public)
	}
	delete(n.locals, c.local)

	c.mu.Lock()
	c.closed = true
	for ; c.count > 0; c.count-- {
		n.putPacket(c.queue[c.head])
		c.queue[c.head] = nil
		c.head = (c.head + 1) % len(c.queue)
	}
	c.mu.Unlock()
	close(c.done)
}

// enqueue appends p to the receive queue, or reports false if the queue is
// full or the Conn closed. The caller holds c.net.mu.
func (c *Conn) enqueue(p *packet) bool {
	c.mu.Lock()
	if c.closed || c.count == len(c.queue) {
		c.mu.Unlock()
		return false
	}
	c.queue[(c.head+c.count)%len(c.queue)] = p
	c.count++
	c.mu.Unlock()
	c.signal()
	return true
}

func (c *Conn) signal() {
	select {
	case c.ready <- struct{}{}:
	default:
	}
}
