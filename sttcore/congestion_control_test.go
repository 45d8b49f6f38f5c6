package sttcore

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/sttcore/internal/congestion"
	"github.com/seigr/stt-tun/sttcore/transport/transporttest"
)

func TestConfigCongestionControl(t *testing.T) {
	tests := []struct {
		cc      CongestionControl
		name    string
		wantErr bool
	}{
		{CongestionCubic, "cubic", false},
		{CongestionBBR, "bbr", false},
		{2, "CongestionControl(2)", true},
		{255, "CongestionControl(255)", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.name, tt.cc.String())
			cfg, err := (&Config{PrivateKey: newKey(t), CongestionControl: tt.cc}).populate()
			if tt.wantErr {
				require.ErrorContains(t, err, "Config.CongestionControl")
				require.ErrorContains(t, err, tt.name)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.cc, cfg.CongestionControl)
		})
	}
	cfg, err := (&Config{PrivateKey: newKey(t)}).populate()
	require.NoError(t, err)
	require.Equal(t, CongestionCubic, cfg.CongestionControl, "the zero value is CUBIC")
}

// senderController returns the congestion controller of s's streams.
func senderController(s *Session) congestion.Controller {
	m := s.streams
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cc
}

// TestStreamCongestionControlOverLossyNetwork sends a stream over an
// in-process network that loses 3 % of the packets each way, with each
// controller: the sender's streams use the one its Config names, every byte
// arrives, and BBR's model ends near the path's RTT.
func TestStreamCongestionControlOverLossyNetwork(t *testing.T) {
	for _, cc := range []CongestionControl{CongestionCubic, CongestionBBR} {
		t.Run(cc.String(), func(t *testing.T) {
			_, _, sa, sb, netw := vnetPair(t, transporttest.Config{Loss: 0.03, Delay: 5 * time.Millisecond, Seed: 9438},
				func(c *Config) { c.CongestionControl = cc })

			switch cc {
			case CongestionBBR:
				require.IsType(t, (*congestion.BBR)(nil), senderController(sa))
			default:
				require.IsType(t, (*congestion.Cubic)(nil), senderController(sa))
			}

			ctx := ctxT(t, 60*time.Second)
			data := make([]byte, 2<<20)
			_, _ = rand.NewChaCha8([32]byte{3}).Read(data)
			start := time.Now()
			copyOverStream(t, ctx, sa, sb, data)
			require.Positive(t, netw.Stats().DroppedLoss)

			m := sa.streams
			m.mu.Lock()
			defer m.mu.Unlock()
			t.Logf("%v: %d MiB in %v; sender %+v cwnd %d srtt %v", cc, len(data)>>20, time.Since(start), m.sph.Stats(), m.cc.GetCongestionWindow(), m.rttStats.SmoothedRTT())
			if b, ok := m.cc.(*congestion.BBR); ok {
				require.Positive(t, b.BandwidthEstimate())
				require.GreaterOrEqual(t, b.MinRTT(), 10*time.Millisecond, "two 5 ms hops")
				require.Less(t, b.MinRTT(), 100*time.Millisecond)
			}
		})
	}
}
