//go:build !linux

package transport

import "net"

const msgTrunc = 0

func setForcedBuffers(*net.UDPConn, int) {}
