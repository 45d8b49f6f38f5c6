//go:build linux

package streambench

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/seigr/stt-tun/internal/impair"
)

// The test binary doubles as the impairing relay in the middle namespace:
// started with relayEnv set, it runs an impair.Relay instead of the tests.
const (
	relayEnv       = "STREAMBENCH_RELAY"        // "1": run as the relay
	relayListenEnv = "STREAMBENCH_RELAY_LISTEN" // address to listen on
	relayTargetEnv = "STREAMBENCH_RELAY_TARGET" // address to relay to
	relayDelayEnv  = "STREAMBENCH_RELAY_DELAY"  // one-way delay, both directions
	// relayReady starts the line the relay prints once it listens.
	relayReady = "relay listening on "
	// relayDone starts the line it prints with its counters on SIGTERM.
	relayDone = "relay done: "
)

func TestMain(m *testing.M) {
	if os.Getenv(relayEnv) == "1" {
		os.Exit(relayMain())
	}
	os.Exit(m.Run())
}

// relayMain runs the relay the environment describes until SIGTERM and
// returns the exit status.
func relayMain() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	delay, err := time.ParseDuration(os.Getenv(relayDelayEnv))
	if err != nil {
		fmt.Fprintf(os.Stderr, "relay: %s: %v\n", relayDelayEnv, err)
		return 2
	}
	r, err := impair.NewRelay(ctx, os.Getenv(relayListenEnv), os.Getenv(relayTargetEnv), impair.Config{Delay: delay})
	if err != nil {
		fmt.Fprintf(os.Stderr, "relay: %v\n", err)
		return 1
	}
	fmt.Printf("%s%s\n", relayReady, r.Addr())
	<-r.Context().Done()
	err = r.Close()
	st := r.Stats()
	fmt.Printf("%sup %+v down %+v\n", relayDone, st.Up, st.Down)
	if err != nil {
		fmt.Fprintf(os.Stderr, "relay: %v\n", err)
		return 1
	}
	return 0
}
