package tun

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves goroutines behind: Close must
// stop the wireguard device's netlink and status listeners and the event
// reader.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
