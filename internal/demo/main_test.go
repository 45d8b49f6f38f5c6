package demo

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any goroutine (an engine's, a device's, a
// receiver's) outlives the tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
