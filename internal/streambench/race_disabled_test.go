//go:build !race

package streambench

// raceEnabled: the race detector slows the nodes down several times.
const raceEnabled = false
