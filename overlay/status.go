package overlay

import (
	"net/netip"
	"time"

	"github.com/seigr/stt-tun/sttcore/stc"
)

// PeerStatus is one peer's state, for `stt-tun status`.
type PeerStatus struct {
	Name          string         `json:"name"`
	PublicKey     stc.PublicKey  `json:"public_key"`
	Endpoint      string         `json:"endpoint,omitempty"` // where packets go now
	Configured    string         `json:"configured_endpoint,omitempty"`
	AllowedIPs    []netip.Prefix `json:"allowed_ips"`
	Connected     bool           `json:"connected"` // a session with confirmed keys
	LastHandshake time.Time      `json:"last_handshake,omitzero"`
	KeyEpoch      uint64         `json:"key_epoch"`
	Suite         string         `json:"suite,omitempty"`
	RTT           time.Duration  `json:"rtt_ns"`
	TxPackets     uint64         `json:"tx_packets"`
	TxBytes       uint64         `json:"tx_bytes"`
	RxPackets     uint64         `json:"rx_packets"`
	RxBytes       uint64         `json:"rx_bytes"`
	// Wire figures of the current session: DATA packets and bytes, headers included.
	WireTxBytes uint64            `json:"wire_tx_bytes"`
	WireRxBytes uint64            `json:"wire_rx_bytes"`
	Drops       map[string]uint64 `json:"drops,omitempty"`
	Keepalive   time.Duration     `json:"persistent_keepalive_ns,omitempty"`
}

// Status is the engine's state.
type Status struct {
	PublicKey  stc.PublicKey `json:"public_key"`
	ListenPort uint16        `json:"listen_port"`
	Peers      []PeerStatus  `json:"peers"`
	NoRoute    uint64        `json:"no_route"`  // packets from the device for no peer
	ICMPSent   uint64        `json:"icmp_sent"` // unreachable errors sent for them
	Malformed  uint64        `json:"malformed"` // packets from the device that were not IP
	// DeviceWriteErrors counts batches of received packets the device
	// refused (some of each may have been written).
	DeviceWriteErrors uint64            `json:"device_write_errors"`
	NodeDrops         map[string]uint64 `json:"node_drops,omitempty"`
}

// Status returns the engine's figures now.
func (e *Engine) Status() Status {
	st := Status{
		PublicKey:         e.node.PublicKey(),
		ListenPort:        e.node.LocalAddr().Port(),
		NoRoute:           e.counts.noRoute.Load(),
		ICMPSent:          e.counts.icmpSent.Load(),
		Malformed:         e.counts.malformed.Load(),
		DeviceWriteErrors: e.counts.writeErrors.Load(),
		NodeDrops:         e.node.Stats().Drops.Map(),
	}
	for _, p := range e.allPeers() {
		cfg := p.config()
		ps := PeerStatus{
			Name:       cfg.Name,
			PublicKey:  p.key,
			Configured: cfg.Endpoint,
			AllowedIPs: cfg.AllowedIPs,
			TxPackets:  p.txPackets.Load(),
			TxBytes:    p.txBytes.Load(),
			RxPackets:  p.rxPackets.Load(),
			RxBytes:    p.rxBytes.Load(),
			Keepalive:  cfg.PersistentKeepalive,
			Drops:      map[string]uint64{},
		}
		if ep := p.currentEndpoint(); ep.IsValid() {
			ps.Endpoint = ep.String()
		}
		if s := p.liveSession(); s != nil {
			ss := s.Stats()
			ps.Connected = ss.Established
			if ss.Endpoint.IsValid() {
				ps.Endpoint = ss.Endpoint.String()
			}
			ps.LastHandshake, ps.KeyEpoch, ps.RTT = ss.LastHandshake, ss.KeyEpoch, ss.RTT
			if ss.Suite != 0 {
				ps.Suite = ss.Suite.String()
			}
			ps.WireTxBytes, ps.WireRxBytes = ss.BytesSent, ss.BytesReceived
			for k, v := range ss.Drops.Map() {
				ps.Drops[k] = v
			}
		}
		for k, v := range map[string]uint64{
			"inner_source": p.dropSource.Load(), "malformed_ip": p.dropMalformed.Load(),
			"no_session": p.dropNoSession.Load(), "send": p.dropSend.Load(),
		} {
			if v != 0 {
				ps.Drops[k] = v
			}
		}
		if len(ps.Drops) == 0 {
			ps.Drops = nil
		}
		st.Peers = append(st.Peers, ps)
	}
	return st
}
