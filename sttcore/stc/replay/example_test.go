package replay_test

import (
	"fmt"

	"github.com/seigr/stt-tun/sttcore/stc/replay"
)

func ExampleFilter() {
	const limit = 1 << 60 // counters at or past it are refused

	var f replay.Filter // ready to use; one per receiving key
	for _, counter := range []uint64{0, 2, 1, 2, 20_000, 3, 20_000 - replay.WindowSize} {
		fmt.Println(counter, f.ValidateCounter(counter, limit))
	}
	// Output:
	// 0 true
	// 2 true
	// 1 true
	// 2 false
	// 20000 true
	// 3 false
	// 3680 true
}
