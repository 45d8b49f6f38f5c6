//go:build !linux

package tunnelbench

import "testing"

// BenchmarkTunnel needs Linux; see bench_linux_test.go.
func BenchmarkTunnel(b *testing.B) {
	b.Skip("needs Linux: network namespaces, veth pairs and TUN devices")
}
