//go:build race

package ackhandler

const raceEnabled = true
