//go:build linux

package netnstest

import (
	"os"
	"os/exec"
	"testing"
)

// RequireRoot skips the test unless it runs as root, which creating network
// namespaces, interfaces and nftables rules needs.
func RequireRoot(t testing.TB) {
	t.Helper()
	if euid := os.Geteuid(); euid != 0 {
		t.Skipf("needs root: network namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN (euid %d)", euid)
	}
}

// RequireTool skips the test unless every named program is on $PATH. The
// skip message names the Debian package that provides the missing program.
func RequireTool(t testing.TB, names ...string) {
	t.Helper()
	for _, name := range names {
		if _, err := exec.LookPath(name); err != nil {
			t.Skipf("needs %s (apt-get install %s): %v", name, aptPackage(name), err)
		}
	}
}

// aptPackage names the Debian package that ships the program name.
func aptPackage(name string) string {
	switch name {
	case "ip", "tc", "ss", "bridge":
		return "iproute2"
	case "ping":
		return "iputils-ping"
	case "nft":
		return "nftables"
	case "ncat":
		return "ncat"
	case "nc":
		return "netcat-openbsd"
	case "sysctl":
		return "procps"
	default:
		// iperf3, curl, socat, tcpdump, ethtool, ... are packaged under
		// their own names.
		return name
	}
}
