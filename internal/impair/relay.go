package impair

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	// IdleTimeout is how long a client may be silent in both directions
	// before the relay forgets it and closes its upstream socket.
	IdleTimeout = 2 * time.Minute
	// MaxClients bounds the clients a Relay serves at once; datagrams from
	// further ones are dropped and counted in Stats.DroppedNoClient.
	MaxClients = 1024
	// socketBuffer is the kernel buffer size the relay asks for on its
	// sockets (capped by net.core.rmem_max/wmem_max), so bursts are not
	// dropped before the impairment decides their fate.
	socketBuffer = 4 << 20
	// maxDatagram is the largest UDP payload.
	maxDatagram = 65535
	// maxReadErrors is how many unexpected read errors in a row a reading
	// goroutine tolerates before it gives up (wireguard-go's "death
	// spiral" bound).
	maxReadErrors = 10
)

// Direction names one way through a Relay.
type Direction int

const (
	// Up is from the clients to the target.
	Up Direction = iota
	// Down is from the target back to the clients.
	Down
)

func (d Direction) String() string {
	switch d {
	case Up:
		return "up"
	case Down:
		return "down"
	}
	return fmt.Sprintf("Direction(%d)", int(d))
}

// DirectionStats counts what happened to the datagrams of one direction.
// Received - DroppedLoss + Duplicated - DroppedQueue =
// Forwarded + SendErrors + Queued.
type DirectionStats struct {
	Received     uint64 // datagrams read
	Forwarded    uint64 // copies released to the socket (duplicates included)
	DroppedLoss  uint64 // dropped by Config.Loss
	DroppedQueue uint64 // copies dropped because the delay line was full
	Duplicated   uint64 // datagrams picked for a second copy
	Corrupted    uint64 // datagrams with a byte changed
	Reordered    uint64 // copies held back by ReorderDelay
	SendErrors   uint64 // released copies the socket refused (ECONNREFUSED, expired client); moved out of Forwarded
	Queued       int    // copies waiting now
	MaxQueued    int    // the most copies ever waiting at once
}

// Stats is a snapshot of a Relay's counters.
type Stats struct {
	Up, Down DirectionStats
	// Clients is the number of clients known now.
	Clients int
	// DroppedNoClient counts datagrams from new clients that were refused:
	// MaxClients reached, or no upstream socket could be opened.
	DroppedNoClient uint64
}

// client is one source address the relay serves, with its own socket to
// the target.
type client struct {
	addr     netip.AddrPort
	up       *net.UDPConn // connected to the target
	lastSeen atomic.Int64 // time.Duration since the relay's epoch
}

// Relay is an impairing UDP relay between clients and one target; see the
// package documentation. Create it with NewRelay; it runs until Close or
// until its context ends.
type Relay struct {
	ln          *net.UDPConn
	target      *net.UDPAddr
	epoch       time.Time
	idleTimeout time.Duration
	up, down    *line

	ctx       context.Context
	cancel    context.CancelCauseFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error

	mu        sync.Mutex
	clients   map[netip.AddrPort]*client
	closed    bool
	stopWatch func() bool // stops the AfterFunc that closes on ctx's end

	droppedNoClient atomic.Uint64
}

// NewRelay listens for UDP on listenAddr ("127.0.0.1:0", "[::1]:0",
// "0.0.0.0:5000") and relays each client's datagrams to target, and the
// target's replies back to that client, both directions impaired as cfg
// says (use [Relay.SetDirectionConfig] for asymmetric paths). The relay
// closes itself when ctx ends. NewRelay returns a *ConfigError for an
// invalid cfg.
func NewRelay(ctx context.Context, listenAddr, target string, cfg Config) (*Relay, error) {
	return newRelay(ctx, listenAddr, target, cfg, IdleTimeout)
}

func newRelay(ctx context.Context, listenAddr, target string, cfg Config, idleTimeout time.Duration) (*Relay, error) {
	cfg, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	taddr, err := net.ResolveUDPAddr("udp", target)
	if err != nil {
		return nil, fmt.Errorf("impair: target %q: %w", target, err)
	}
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(ctx, "udp", listenAddr)
	if err != nil {
		return nil, fmt.Errorf("impair: listen: %w", err)
	}
	ln := pc.(*net.UDPConn)
	_ = ln.SetReadBuffer(socketBuffer) // best effort: capped by the sysctl
	_ = ln.SetWriteBuffer(socketBuffer)
	pool := newBufPool()
	r := &Relay{
		ln:          ln,
		target:      taddr,
		epoch:       time.Now(),
		idleTimeout: idleTimeout,
		up:          newLine(cfg, uint64(Up), pool),
		down:        newLine(cfg, uint64(Down), pool),
		clients:     make(map[netip.AddrPort]*client),
	}
	r.ctx, r.cancel = context.WithCancelCause(ctx)
	r.wg.Go(r.routineReadClients)
	r.wg.Go(func() { r.routineScheduler(r.up, r.sendUp) })
	r.wg.Go(func() { r.routineScheduler(r.down, r.sendDown) })
	// Under mu: if ctx has already ended, the Close this starts at once
	// must find stopWatch set.
	r.mu.Lock()
	r.stopWatch = context.AfterFunc(r.ctx, func() { r.Close() })
	r.mu.Unlock()
	return r, nil
}

// Addr returns the address clients send to.
func (r *Relay) Addr() net.Addr { return r.ln.LocalAddr() }

// Context returns a context that ends when the relay stops; context.Cause
// tells why (net.ErrClosed after Close).
func (r *Relay) Context() context.Context { return r.ctx }

// SetConfig changes the impairment of both directions for datagrams that
// arrive from now on. It returns a *ConfigError, and changes nothing, for an
// invalid cfg.
func (r *Relay) SetConfig(cfg Config) error {
	cfg, err := cfg.validate()
	if err != nil {
		return err
	}
	r.up.setConfig(cfg)
	r.down.setConfig(cfg)
	return nil
}

// SetDirectionConfig changes the impairment of one direction only.
func (r *Relay) SetDirectionConfig(d Direction, cfg Config) error {
	l, err := r.line(d)
	if err != nil {
		return err
	}
	cfg, err = cfg.validate()
	if err != nil {
		return err
	}
	l.setConfig(cfg)
	return nil
}

// Config returns the current configuration of direction d, defaults filled
// in.
func (r *Relay) Config(d Direction) (Config, error) {
	l, err := r.line(d)
	if err != nil {
		return Config{}, err
	}
	return l.config(), nil
}

func (r *Relay) line(d Direction) (*line, error) {
	switch d {
	case Up:
		return r.up, nil
	case Down:
		return r.down, nil
	}
	return nil, fmt.Errorf("impair: unknown direction %d", int(d))
}

// Stats returns the relay's counters; it may be called after Close.
func (r *Relay) Stats() Stats {
	r.mu.Lock()
	n := len(r.clients)
	r.mu.Unlock()
	return Stats{
		Up:              r.up.stats(),
		Down:            r.down.stats(),
		Clients:         n,
		DroppedNoClient: r.droppedNoClient.Load(),
	}
}

// Close stops the relay: it closes every socket, stops every goroutine and
// waits for them. Datagrams still queued are dropped (Stats still counts
// them as Queued). Close is idempotent; every call returns the first
// call's result.
func (r *Relay) Close() error {
	r.closeOnce.Do(func() {
		r.mu.Lock()
		r.closed = true
		clients := r.clients
		r.clients = nil
		stopWatch := r.stopWatch
		r.mu.Unlock()
		stopWatch() // so that cancelling below does not call Close again
		r.cancel(net.ErrClosed)
		err := r.ln.Close()
		for _, c := range clients {
			c.up.Close()
		}
		r.wg.Wait()
		if err != nil {
			r.closeErr = fmt.Errorf("impair: close: %w", err)
		}
	})
	return r.closeErr
}

// now is the relay's clock, monotonic, as the lines count time.
func (r *Relay) now() time.Duration { return time.Since(r.epoch) }

// routineReadClients reads datagrams from the clients into the Up line.
func (r *Relay) routineReadClients() {
	buf := make([]byte, maxDatagram)
	errs := 0
	for {
		n, from, err := r.ln.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if errs++; errs >= maxReadErrors {
				r.cancel(fmt.Errorf("impair: reading from clients: %w", err))
				return
			}
			continue
		}
		errs = 0
		c := r.clientFor(from)
		if c == nil {
			continue
		}
		now := r.now()
		c.lastSeen.Store(int64(now))
		if r.up.enqueue(now, buf[:n], c) {
			r.up.signal()
		}
	}
}

// clientFor returns the client for addr, creating it (and starting its
// reader) if it is new; nil if it cannot be served.
func (r *Relay) clientFor(addr netip.AddrPort) *client {
	r.mu.Lock()
	c, ok := r.clients[addr]
	full := len(r.clients) >= MaxClients
	closed := r.closed
	r.mu.Unlock()
	if ok || closed {
		return c
	}
	if full {
		r.droppedNoClient.Add(1)
		return nil
	}
	// Only this goroutine adds clients, so none can appear meanwhile.
	up, err := net.DialUDP("udp", nil, r.target)
	if err != nil {
		r.droppedNoClient.Add(1)
		return nil
	}
	_ = up.SetReadBuffer(socketBuffer)
	_ = up.SetWriteBuffer(socketBuffer)
	c = &client{addr: addr, up: up}
	c.lastSeen.Store(int64(r.now()))
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		up.Close()
		return nil
	}
	r.clients[addr] = c
	r.wg.Go(func() { r.routineReadTarget(c) }) // before Close's Wait: we hold mu and !closed
	return c
}

// routineReadTarget reads the target's replies to c into the Down line,
// and forgets c once it has been idle for idleTimeout.
func (r *Relay) routineReadTarget(c *client) {
	buf := make([]byte, maxDatagram)
	errs := 0
	deadline := func() time.Time {
		return r.epoch.Add(time.Duration(c.lastSeen.Load()) + r.idleTimeout)
	}
	_ = c.up.SetReadDeadline(deadline())
	for {
		n, err := c.up.Read(buf)
		if err != nil {
			switch {
			case errors.Is(err, net.ErrClosed):
				return
			case errors.Is(err, syscall.ECONNREFUSED):
				// The target's port was closed (ICMP); it may open later.
				continue
			case errors.Is(err, os.ErrDeadlineExceeded):
				if r.now()-time.Duration(c.lastSeen.Load()) >= r.idleTimeout {
					r.removeClient(c)
					return
				}
				_ = c.up.SetReadDeadline(deadline())
				continue
			}
			if errs++; errs >= maxReadErrors {
				r.removeClient(c)
				return
			}
			continue
		}
		errs = 0
		now := r.now()
		c.lastSeen.Store(int64(now))
		if r.down.enqueue(now, buf[:n], c) {
			r.down.signal()
		}
	}
}

// removeClient forgets c and closes its socket.
func (r *Relay) removeClient(c *client) {
	r.mu.Lock()
	if r.clients[c.addr] == c {
		delete(r.clients, c.addr)
	}
	r.mu.Unlock()
	c.up.Close()
}

// sendUp sends an Up packet to the target from its client's socket.
func (r *Relay) sendUp(p *packet) error {
	_, err := p.to.up.Write(*p.buf)
	return err
}

// sendDown sends a Down packet to its client from the listening socket.
func (r *Relay) sendDown(p *packet) error {
	_, err := r.ln.WriteToUDPAddrPort(*p.buf, p.to.addr)
	return err
}

// routineScheduler releases l's packets when they are due, through send.
// It sleeps on one timer armed for the earliest release, and is woken
// early when a packet arrives that is due sooner.
func (r *Relay) routineScheduler(l *line, send func(*packet) error) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var batch []packet
	for {
		var (
			next    time.Duration
			pending bool
		)
		batch, next, pending = l.popDue(r.now(), batch[:0])
		for i := range batch {
			if err := send(&batch[i]); err != nil {
				l.forwarded.Add(^uint64(0)) // popDue counted it as forwarded
				l.sendErrors.Add(1)
			}
			l.putBuf(batch[i].buf)
			batch[i] = packet{}
		}
		if pending {
			timer.Reset(next - r.now()) // <= 0 fires at once
		} else {
			timer.Stop()
		}
		select {
		case <-r.ctx.Done():
			return
		case <-l.wake:
		case <-timer.C:
		}
	}
}
