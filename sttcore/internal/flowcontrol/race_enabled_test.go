//go:build race

package flowcontrol

const raceEnabled = true
