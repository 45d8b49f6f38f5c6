package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"net"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A Handler serves one command. args holds the request's "args" JSON value,
// or is nil when the request has none (DecodeArgs reads it). The result is
// encoded with encoding/json into the response; an error becomes the
// response's message, shown to the operator. ctx is cancelled when the
// server closes.
//
// Handlers run concurrently with each other. A handler must not call
// Server.Close itself, since Close waits for it: a "down" handler signals
// the daemon's main goroutine and returns.
type Handler func(ctx context.Context, args json.RawMessage) (any, error)

// Server serves a control socket. Create it with Listen, run Serve, stop it
// with Close.
type Server struct {
	path     string
	ln       *net.UnixListener
	file     os.FileInfo // the socket file, to remove only our own
	handlers map[string]Handler
	known    string // the commands, sorted, for the unknown-command error
	logger   *slog.Logger
	euid     int

	readTimeout time.Duration // ReadTimeout; tests shorten it

	ctx    context.Context // handlers' context, cancelled by Close
	cancel context.CancelFunc
	slots  chan struct{} // one token per connection served, MaxConns
	done   chan struct{} // closed by Close
	conns  sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	serving  bool
	active   map[*net.UnixConn]struct{}
	closeErr error
}

// Listen creates the control socket at path and returns a Server that
// answers the commands in handlers once Serve runs.
//
// The parent directory is created with mode 0700 if missing (an existing
// one is left as it is); the socket gets mode 0600 whatever the umask. If a
// socket already exists at path and something answers on it, Listen
// returns an error wrapping ErrInUse; if nothing answers (a leftover of a
// killed daemon), it is replaced. Anything else at path is left in place
// and Listen returns an error wrapping ErrNotSocket. A nil logger logs
// nothing.
func Listen(path string, handlers map[string]Handler, logger *slog.Logger) (*Server, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	for cmd, h := range handlers {
		if cmd == "" || h == nil {
			return nil, fmt.Errorf("control: handler for command %q is empty", cmd)
		}
	}
	ln, fi, err := createSocket(path)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		path:        path,
		ln:          ln,
		file:        fi,
		handlers:    maps.Clone(handlers),
		known:       strings.Join(slices.Sorted(maps.Keys(handlers)), ", "),
		logger:      logger,
		euid:        os.Geteuid(),
		readTimeout: ReadTimeout,
		ctx:         ctx,
		cancel:      cancel,
		slots:       make(chan struct{}, MaxConns),
		done:        make(chan struct{}),
		active:      make(map[*net.UnixConn]struct{}),
	}
	logger.Debug("control socket listening", "path", path)
	return s, nil
}

// Path returns the socket's path.
func (s *Server) Path() string { return s.path }

// Serve accepts and answers connections, at most MaxConns at once, until
// Close. It returns nil after Close (also when Close came first), and an
// error if accepting fails for good or Serve is already running.
func (s *Server) Serve() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	if s.serving {
		s.mu.Unlock()
		return errors.New("control: Serve called twice")
	}
	s.serving = true
	s.mu.Unlock()

	var backoff time.Duration
	for {
		select {
		case s.slots <- struct{}{}:
		case <-s.done:
			return nil
		}
		c, err := s.ln.AcceptUnix()
		if err != nil {
			<-s.slots
			if s.isClosed() || errors.Is(err, net.ErrClosed) {
				return nil
			}
			if !isTransientAcceptError(err) {
				return fmt.Errorf("control socket %s: %w", s.path, err)
			}
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			s.logger.Warn("control socket: accept failed, retrying", "err", err, "retry_in", backoff)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-s.done:
				t.Stop()
				return nil
			}
			continue
		}
		backoff = 0
		if !s.track(c) {
			c.Close()
			<-s.slots
			return nil
		}
		go s.routineServeConn(c)
	}
}

// isTransientAcceptError reports errors after which accepting may work
// again: running out of descriptors or memory.
func isTransientAcceptError(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) ||
		errors.Is(err, syscall.ENOBUFS) || errors.Is(err, syscall.ENOMEM)
}

// Close stops accepting, interrupts connections still waiting for their
// request, cancels the handlers' context, waits for the requests in flight
// to be answered and removes the socket file (if it is still the one
// Listen made). It is safe to call more than once and concurrently; later
// calls return the first call's result once it is done.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.done
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.closeErr
	}
	s.closed = true
	past := time.Unix(1, 0)
	for c := range s.active {
		c.SetReadDeadline(past)
	}
	s.mu.Unlock()

	err := s.ln.Close()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	s.cancel()
	s.conns.Wait()
	if fi, statErr := os.Lstat(s.path); statErr == nil && os.SameFile(fi, s.file) {
		if rmErr := os.Remove(s.path); rmErr != nil && !errors.Is(rmErr, fs.ErrNotExist) {
			err = errors.Join(err, fmt.Errorf("removing control socket: %w", rmErr))
		}
	}
	s.logger.Debug("control socket closed", "path", s.path)

	s.mu.Lock()
	s.closeErr = err
	s.mu.Unlock()
	close(s.done)
	return err
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// track registers c as served, unless the server is closing.
func (s *Server) track(c *net.UnixConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.active[c] = struct{}{}
	s.conns.Add(1)
	return true
}

func (s *Server) untrack(c *net.UnixConn) {
	s.mu.Lock()
	delete(s.active, c)
	s.mu.Unlock()
}

// armReadDeadline sets c's read deadline, unless Close has already set it
// to the past (then it reports false).
func (s *Server) armReadDeadline(c *net.UnixConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	c.SetReadDeadline(time.Now().Add(s.readTimeout))
	return true
}

// routineServeConn reads one request from c, answers it and closes c.
func (s *Server) routineServeConn(c *net.UnixConn) {
	defer func() {
		s.untrack(c)
		c.Close()
		<-s.slots
		s.conns.Done()
	}()
	if err := checkPeer(c, s.euid); err != nil {
		s.logger.Warn("control socket: refused a client", "err", err)
		s.write(c, errorResponse(err.Error()))
		return
	}
	if !s.armReadDeadline(c) {
		return
	}
	line, err := readLine(c, MaxRequestSize)
	switch {
	case err == nil:
	case errors.Is(err, errLineTooLong):
		s.logger.Debug("control socket: request too large")
		s.write(c, errorResponse(fmt.Sprintf("request longer than %d bytes", MaxRequestSize)))
		return
	case errors.Is(err, os.ErrDeadlineExceeded):
		if s.isClosed() {
			return
		}
		s.logger.Debug("control socket: client sent no request in time", "timeout", s.readTimeout)
		s.write(c, errorResponse(fmt.Sprintf("no request within %v", s.readTimeout)))
		return
	case errors.Is(err, io.EOF):
		return // the client went away without asking
	default:
		s.logger.Debug("control socket: reading request failed", "err", err)
		return
	}
	s.write(c, s.respond(s.ctx, line))
}

// write sends a response line, bounded by writeTimeout.
func (s *Server) write(c *net.UnixConn, resp []byte) {
	c.SetWriteDeadline(time.Now().Add(writeTimeout))
	if _, err := c.Write(resp); err != nil {
		s.logger.Debug("control socket: writing response failed", "err", err)
	}
}

// respond decodes a request line, runs its handler and returns the
// response line, '\n' included. It never panics and always returns a
// valid response.
func (s *Server) respond(ctx context.Context, line []byte) []byte {
	req, err := decodeRequest(line)
	if err != nil {
		s.logger.Debug("control socket: bad request", "err", err)
		return errorResponse(err.Error())
	}
	h, ok := s.handlers[req.Cmd]
	if !ok {
		s.logger.Debug("control socket: unknown command", "cmd", req.Cmd)
		return errorResponse(fmt.Sprintf("unknown command %q; known commands: %s", req.Cmd, s.known))
	}
	start := time.Now()
	result, err := s.call(ctx, req.Cmd, h, req.Args)
	if err != nil {
		s.logger.Debug("control request failed", "cmd", req.Cmd, "err", err, "took", time.Since(start))
		return errorResponse(err.Error())
	}
	resp := response{OK: true}
	if result != nil {
		if resp.Result, err = json.Marshal(result); err != nil {
			s.logger.Error("control socket: encoding result failed", "cmd", req.Cmd, "err", err)
			return errorResponse(fmt.Sprintf("internal error: encoding the result of %q: %v", req.Cmd, err))
		}
	}
	out := encodeResponse(resp)
	if len(out)-1 > MaxResponseSize {
		s.logger.Error("control socket: response too large", "cmd", req.Cmd, "bytes", len(out)-1)
		return errorResponse(fmt.Sprintf("internal error: the response to %q is %d bytes, over the %d-byte limit",
			req.Cmd, len(out)-1, MaxResponseSize))
	}
	s.logger.Debug("control request served", "cmd", req.Cmd, "took", time.Since(start))
	return out
}

// call runs h, turning a panic into an error so that a faulty handler
// cannot bring the daemon down.
func (s *Server) call(ctx context.Context, cmd string, h Handler, args json.RawMessage) (result any, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.logger.Error("control socket: handler panicked", "cmd", cmd, "panic", p, "stack", string(debug.Stack()))
			result = nil
			err = fmt.Errorf("internal error: command %q failed (the daemon's log has details)", cmd)
		}
	}()
	return h(ctx, args)
}
