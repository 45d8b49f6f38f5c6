package tai64n_test

import (
	"fmt"
	"time"

	"github.com/seigr/stt-tun/sttcore/stc/tai64n"
)

func ExampleTimestamp_After() {
	// A responder keeps the greatest timestamp a peer has sent and accepts
	// a HELLO only with a later one.
	greatest := tai64n.Stamp(time.Unix(1_700_000_000, 0))

	replayed := tai64n.Stamp(time.Unix(1_700_000_000, 5_000_000)) // same 2^24 ns granule
	fresh := tai64n.Stamp(time.Unix(1_700_000_001, 0))
	fmt.Println(replayed.After(greatest), fresh.After(greatest))
	fmt.Println(fresh)
	// Output:
	// false true
	// 2023-11-14T22:13:21Z
}
