// Package netnstest builds throw-away Linux network namespaces for end-to-end
// tests, the way wireguard-go's tests/netns.sh does from the shell: each test
// creates its namespaces with [New], joins them with veth pairs ([Link]),
// runs real tools inside them ([NS.Exec], [NS.Start]) and real Go sockets
// ([NS.Do], [NS.ListenUDP]), and degrades the path with nftables random loss
// ([NS.Loss]) or a tbf rate limit ([NS.RateLimit]).
//
// A test reads like netns.sh:
//
//	func TestPing(t *testing.T) {
//		netnstest.RequireTool(t, "ping")
//		a, b := netnstest.New(t, "a"), netnstest.New(t, "b")
//		aIf, _ := netnstest.Link(t,
//			a, []netip.Prefix{netip.MustParsePrefix("192.0.2.1/24")},
//			b, []netip.Prefix{netip.MustParsePrefix("192.0.2.2/24")})
//		a.Exec(t, "ping", "-c", "1", "-W", "2", "192.0.2.2")
//		a.Loss(t, aIf, 10) // 10 % of what leaves a on aIf is dropped
//		srv := b.ListenUDP(t, "192.0.2.2:0") // a Go socket inside b
//		...
//	}
//
// Everything a test creates carries a unique name ("stt-<label>-<pid>-<n>"
// for namespaces, short random names for interfaces) and is removed by
// t.Cleanup even when the test fails, so several test binaries can run at once
// on one machine. Namespaces left behind by a test binary that was killed
// (a go test -timeout panic runs no cleanup) are swept by the next [New] once
// the process whose pid they carry is gone.
//
// The kernel this project tests on has no sch_netem, so delay, reordering,
// duplication and corruption are left to package internal/impair, an
// impairing UDP relay that can run in a middle namespace (cmd/stt-impair).
//
// Requirements: Linux, root, and iproute2's ip; tests skip with a reason
// otherwise ([RequireRoot], [RequireTool]). The whole package builds only on
// Linux, so tests that import it belong in _linux_test.go files.
//
// Concurrency: an [NS] and a [Proc] are safe for concurrent use by several
// goroutines. [NS.Do] switches only the calling goroutine's OS thread;
// goroutines started inside fn run in the test's own namespace.
package netnstest
