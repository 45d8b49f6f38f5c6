package overlay

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/seigr/stt-tun/internal/config"
	"github.com/seigr/stt-tun/sttcore"
	stttun "github.com/seigr/stt-tun/tun"
)

// TestDefaultMTUFitsUnderlay: a packet of the default MTU, sealed, fits a
// 1500-byte underlay path over IPv4 and over IPv6 without fragmentation.
func TestDefaultMTUFitsUnderlay(t *testing.T) {
	require.Equal(t, stttun.DefaultMTU, config.DefaultMTU, "the configuration and the device disagree on the default")
	for _, tc := range []struct {
		name     string
		ipHeader int
	}{
		{"IPv4", 20},
		{"IPv6", 40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			datagram := tc.ipHeader + 8 + sttcore.IPHeadroom + stttun.DefaultMTU + sttcore.IPTailroom
			require.LessOrEqual(t, datagram, 1500, "a full-size packet is a %d-byte datagram on the underlay", datagram)
		})
	}
}

// TestDefaultTxQueueLenAgrees: the configuration's defaults and limits for
// the device queue are the device's.
func TestDefaultTxQueueLenAgrees(t *testing.T) {
	require.Equal(t, stttun.DefaultTxQueueLen, config.DefaultTxQueueLen)
	require.Equal(t, stttun.MaxTxQueueLen, config.MaxTxQueueLen)
}
