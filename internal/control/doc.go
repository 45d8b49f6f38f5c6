// Package control is stt-tun's control socket (DESIGN.md §5): the running
// daemon (`stt-tun up`) serves it, and `stt-tun status`, `stt-tun down` and
// reload requests talk to it.
//
// The daemon calls [Listen] with a [Handler] per command, runs [Server.Serve]
// in a goroutine and calls [Server.Close] on the way out. A client calls
// [Call] with the socket's path, a command and its arguments.
//
// The protocol is a unix stream socket carrying one exchange per
// connection: the client sends one request line, the server answers one
// response line and closes, each a JSON object:
//
//	{"cmd":"status","args":{...}}
//	{"ok":true,"result":{...}}   or   {"ok":false,"error":"message"}
//
// Everything is bounded: a request line over [MaxRequestSize] is answered
// with an error and the connection closed; a client has [ReadTimeout] from
// the accept to send its request; at most [MaxConns] connections are served
// at once while the rest wait in the listen backlog; Call waits no longer
// than its context allows.
//
// Access: the daemon runs as root and the socket is for root only. The
// socket file has mode 0600 (set with chmod after bind, so the umask does
// not matter, and verified), its directory is created 0700 when missing,
// and on Linux the server also checks each client's SO_PEERCRED and admits
// only root and its own user. Listen replaces a stale socket left by a
// killed daemon but refuses to take over one that still answers
// ([ErrInUse]), and it holds a lock on the directory while doing so, so
// that two daemons starting together cannot remove each other's socket.
//
// What it leaves to others: the commands themselves (their handlers and
// argument and result types belong to the daemon), choosing the socket's
// path, and signals such as SIGHUP. Request arguments may hold secrets:
// the package never logs them, and logs commands only at Debug.
//
// Concurrency: handlers run concurrently, one goroutine per connection
// being served; they get a context cancelled by Close. Server methods are
// safe for concurrent use. Close ends every goroutine the server started
// before it returns, waiting for handlers in flight (so a handler must not
// call Close itself); Serve, which runs in the caller's goroutine, then
// returns nil. Call is safe for concurrent use.
package control
