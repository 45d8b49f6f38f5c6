package tunnelbench

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a goroutine (of a command the benchmark ran,
// of a process it waited for) outlives the tests and the benchmark.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
