#!/usr/bin/env bash
# Measures stt-tun against the raw veth path under it, in one run, between
# two network namespaces on this machine, and prints the figures and their
# ratios (internal/tunnelbench; its package documentation says what is
# measured and how). Run as root; it needs iproute2, iputils-ping, iperf3
# and /dev/net/tun, and takes about 40 s with the defaults.
#
#   sudo ./scripts/bench-tunnel.sh                  # one run, 5 s per iperf3 run
#   sudo TUNNELBENCH_SECONDS=10 ./scripts/bench-tunnel.sh -count 3
#   sudo STT_CPUPROFILE_DIR=/tmp/prof ./scripts/bench-tunnel.sh
#
# Arguments go to `go test` (e.g. -count 3, -benchtime 3x). Environment:
# TUNNELBENCH_SECONDS (5), TUNNELBENCH_OMIT (1), TUNNELBENCH_UDP_RATE (500M),
# TUNNELBENCH_BIN (a prebuilt stt-tun, absolute path), STT_CPUPROFILE_DIR.
# On a small shared machine quote the ratios, not the Gbit/s.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ $(id -u) != 0 ]]; then
    echo "$0: needs root (network namespaces, TUN devices); run it with sudo" >&2
    exit 1
fi
if ! command -v go >/dev/null && [[ -x /usr/local/go/bin/go ]]; then
    export PATH=$PATH:/usr/local/go/bin
fi
out=$(mktemp /tmp/bench-tunnel.XXXXXX)
trap 'rm -f "$out"' EXIT
# -v makes go test print why the benchmark skipped, if it does.
status=0
go test -v -run '^$' -bench '^BenchmarkTunnel$' -benchtime 1x -timeout 60m "$@" ./internal/tunnelbench/ 2>&1 |
    tee "$out" || status=$?
if grep -q -- '--- SKIP: BenchmarkTunnel' "$out"; then
    echo "$0: the benchmark skipped (the reason is above)" >&2
    exit 1
fi
exit "$status"
