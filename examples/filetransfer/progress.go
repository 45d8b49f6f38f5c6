package main

import (
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// transfer counts the bytes of one file as they pass.
type transfer struct {
	name  string
	size  int64 // -1 when unknown
	start time.Time
	n     atomic.Int64
}

// Write counts p; a transfer is the io.Writer side of an io.TeeReader or an
// io.MultiWriter.
func (t *transfer) Write(p []byte) (int, error) {
	t.n.Add(int64(len(p)))
	return len(p), nil
}

// summary is the figures of a finished transfer: "N bytes in T (R MB/s)".
func (t *transfer) summary() string {
	d := time.Since(t.start)
	shown := d.Round(time.Millisecond)
	if d < 10*time.Millisecond {
		shown = d.Round(time.Microsecond)
	}
	return fmt.Sprintf("%d bytes in %v (%s)", t.n.Load(), shown, rate(t.n.Load(), d))
}

func rate(n int64, d time.Duration) string {
	if d <= 0 {
		return "- MB/s"
	}
	return fmt.Sprintf("%.1f MB/s", float64(n)/d.Seconds()/1e6)
}

// progress prints a line per running transfer every interval, while there
// are any. Its ticker runs only while transfers run.
type progress struct {
	out      *console
	interval time.Duration // zero: no progress lines

	mu      sync.Mutex
	running map[*transfer]struct{}
	stop    chan struct{} // closed to stop the ticker goroutine
	wg      sync.WaitGroup
}

func newProgress(out *console, interval time.Duration) *progress {
	return &progress{out: out, interval: interval, running: make(map[*transfer]struct{})}
}

// begin registers a transfer of size bytes (-1 if unknown).
func (p *progress) begin(name string, size int64) *transfer {
	t := &transfer{name: name, size: size, start: time.Now()}
	if p.interval <= 0 {
		return t
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.running[t] = struct{}{}
	if len(p.running) == 1 {
		stop := make(chan struct{}) // captured: p.stop may be replaced by the next run
		p.stop = stop
		p.wg.Go(func() { p.routineTicker(stop) })
	}
	return t
}

// end unregisters t, stopping the ticker after the last transfer.
func (p *progress) end(t *transfer) {
	if p.interval <= 0 {
		return
	}
	p.mu.Lock()
	delete(p.running, t)
	if len(p.running) == 0 {
		close(p.stop)
	}
	p.mu.Unlock()
}

// wait waits for the ticker goroutine to end; call it after the last end.
func (p *progress) wait() { p.wg.Wait() }

func (p *progress) routineTicker(stop chan struct{}) {
	tick := time.NewTicker(p.interval)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
			p.print()
		}
	}
}

func (p *progress) print() {
	p.mu.Lock()
	ts := make([]*transfer, 0, len(p.running))
	for t := range p.running {
		ts = append(ts, t)
	}
	p.mu.Unlock()
	sort.Slice(ts, func(i, j int) bool { return ts[i].name < ts[j].name })
	for _, t := range ts {
		n := t.n.Load()
		done := ""
		if t.size > 0 {
			done = fmt.Sprintf(" of %.1f MiB (%d%%)", float64(t.size)/(1<<20), n*100/t.size)
		}
		p.out.printf("  %s: %.1f MiB%s, %s\n", t.name, float64(n)/(1<<20), done, rate(n, time.Since(t.start)))
	}
}

var _ io.Writer = (*transfer)(nil)
