//go:build !race

package sttcore

const raceEnabled = false
