//go:build !race

package ratelimiter

const raceEnabled = false
