package main

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// The example configuration shipped in packaging/ is the one the config
// package's tests check, so it cannot drift out of date.
func TestPackagedExampleIsTested(t *testing.T) {
	shipped, err := os.ReadFile("../../packaging/stt0.toml")
	require.NoError(t, err)
	tested, err := os.ReadFile("../../internal/config/testdata/example.toml")
	require.NoError(t, err)
	require.Equal(t, string(tested), string(shipped), "copy internal/config/testdata/example.toml to packaging/stt0.toml")
}
