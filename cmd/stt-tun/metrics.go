package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/seigr/stt-tun/overlay"
)

// statusCollector exports an engine's Status as Prometheus metrics. It reads
// the figures at scrape time, so the data path keeps no extra counters.
type statusCollector struct {
	iface  string
	status func() (overlay.Status, bool)

	rxBytes, txBytes, rxPackets, txPackets *prometheus.Desc
	wireRx, wireTx                         *prometheus.Desc
	connected, lastHandshake, rtt, epoch   *prometheus.Desc
	peerDrops, nodeDrops, noRoute          *prometheus.Desc
}

func newStatusCollector(iface string, status func() (overlay.Status, bool)) *statusCollector {
	peer := []string{"interface", "peer", "public_key"}
	d := func(name, help string, labels []string) *prometheus.Desc {
		return prometheus.NewDesc("stt_"+name, help, labels, nil)
	}
	return &statusCollector{
		iface:         iface,
		status:        status,
		rxBytes:       d("peer_received_bytes_total", "IP bytes received from the peer and written to the device.", peer),
		txBytes:       d("peer_sent_bytes_total", "IP bytes read from the device and sent to the peer.", peer),
		rxPackets:     d("peer_received_packets_total", "IP packets received from the peer.", peer),
		txPackets:     d("peer_sent_packets_total", "IP packets sent to the peer.", peer),
		wireRx:        d("peer_wire_received_bytes", "Bytes of DATA packets received on the current session, headers included.", peer),
		wireTx:        d("peer_wire_sent_bytes", "Bytes of DATA packets sent on the current session, headers included.", peer),
		connected:     d("peer_connected", "1 when the peer's session has confirmed keys.", peer),
		lastHandshake: d("peer_last_handshake_seconds", "Unix time of the current keypair's handshake.", peer),
		rtt:           d("peer_rtt_seconds", "Latest round-trip time measured to the peer.", peer),
		epoch:         d("peer_key_epoch", "Keypairs made with the peer in the current session.", peer),
		peerDrops:     d("peer_dropped_packets_total", "Packets from or to the peer dropped, by reason.", append(peer, "reason")),
		nodeDrops:     d("dropped_packets_total", "Packets the node dropped, by reason.", []string{"interface", "reason"}),
		noRoute:       d("no_route_packets_total", "Packets from the device for no peer.", []string{"interface"}),
	}
}

func (c *statusCollector) Describe(ch chan<- *prometheus.Desc) { prometheus.DescribeByCollect(c, ch) }

func (c *statusCollector) Collect(ch chan<- prometheus.Metric) {
	st, ok := c.status()
	if !ok {
		return
	}
	counter := func(d *prometheus.Desc, v uint64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), l...)
	}
	gauge := func(d *prometheus.Desc, v float64, l ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, l...)
	}
	for _, p := range st.Peers {
		l := []string{c.iface, p.Name, p.PublicKey.String()}
		counter(c.rxBytes, p.RxBytes, l...)
		counter(c.txBytes, p.TxBytes, l...)
		counter(c.rxPackets, p.RxPackets, l...)
		counter(c.txPackets, p.TxPackets, l...)
		gauge(c.wireRx, float64(p.WireRxBytes), l...)
		gauge(c.wireTx, float64(p.WireTxBytes), l...)
		conn := 0.0
		if p.Connected {
			conn = 1
		}
		gauge(c.connected, conn, l...)
		if !p.LastHandshake.IsZero() {
			gauge(c.lastHandshake, float64(p.LastHandshake.UnixNano())/1e9, l...)
		}
		gauge(c.rtt, p.RTT.Seconds(), l...)
		gauge(c.epoch, float64(p.KeyEpoch), l...)
		for reason, v := range p.Drops {
			counter(c.peerDrops, v, append(l, reason)...)
		}
	}
	for reason, v := range st.NodeDrops {
		counter(c.nodeDrops, v, c.iface, reason)
	}
	counter(c.noRoute, st.NoRoute, c.iface)
}

// serveMetrics serves /metrics on addr until ctx ends. It returns once the
// listener is open, so that a bad address fails `up` at once.
func serveMetrics(ctx context.Context, addr string, c prometheus.Collector, log *slog.Logger) error {
	reg := prometheus.NewRegistry()
	if err := reg.Register(c); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics listener (metrics_address %q): %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server", "err", err)
		}
	}()
	log.Info("serving metrics", "addr", ln.Addr().String())
	return nil
}
