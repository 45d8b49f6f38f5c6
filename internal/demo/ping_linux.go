package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/vishvananda/netns"
	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

const (
	// pingCount is the number of IPv4 echo requests.
	pingCount = 5
	// pingTimeout is how long each echo request waits for its reply.
	pingTimeout = 2 * time.Second
	// pingPayload is the echo data size, as ping(8)'s default.
	pingPayload = 56
)

var errNoReplies = errors.New("no echo replies came back through the tunnel")

// ping sends count ICMP echo requests to dst from a raw socket inside ns,
// one after the other, each waiting up to pingTimeout for its reply.
func ping(ctx context.Context, ns netns.NsHandle, dst netip.Addr, count int) (pingResult, error) {
	network, listen, proto := "ip4:icmp", "0.0.0.0", 1 // IANA protocol numbers
	var reqType, replyType icmp.Type = ipv4.ICMPTypeEcho, ipv4.ICMPTypeEchoReply
	if dst.Is6() {
		network, listen, proto = "ip6:ipv6-icmp", "::", 58
		reqType, replyType = ipv6.ICMPTypeEchoRequest, ipv6.ICMPTypeEchoReply
	}
	var c *icmp.PacketConn
	err := inNS(ns, func() (err error) {
		c, err = icmp.ListenPacket(network, listen)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("open %s socket: %w", network, err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { _ = c.SetReadDeadline(past) })
	defer stop()

	id := rand.N(1 << 16)
	data := bytes.Repeat([]byte("stt-tun demo "), pingPayload/13+1)[:pingPayload]
	buf := make([]byte, 1500)
	res := make(pingResult, 0, count)
	for seq := range count {
		msg := icmp.Message{Type: reqType, Body: &icmp.Echo{ID: id, Seq: seq, Data: data}}
		wb, err := msg.Marshal(nil) // the kernel fills in the ICMPv6 checksum
		if err != nil {
			return res, err
		}
		if err := c.SetReadDeadline(time.Now().Add(pingTimeout)); err != nil {
			return res, err
		}
		if err := ctx.Err(); err != nil { // checked after the deadline is set: see AfterFunc above
			return res, err
		}
		sent := time.Now()
		if _, err := c.WriteTo(wb, &net.IPAddr{IP: dst.AsSlice()}); err != nil {
			return res, fmt.Errorf("send echo request %d: %w", seq, err)
		}
		rtt, err := awaitEcho(c, buf, proto, replyType, dst, id, seq, sent)
		switch {
		case ctx.Err() != nil:
			return res, ctx.Err()
		case errors.Is(err, os.ErrDeadlineExceeded):
			res = append(res, -1)
		case err != nil:
			return res, fmt.Errorf("read echo reply %d: %w", seq, err)
		default:
			res = append(res, rtt)
		}
	}
	return res, nil
}

// awaitEcho reads from c until the echo reply with id and seq comes from
// dst, skipping every other ICMP message, and returns the time since sent.
func awaitEcho(c *icmp.PacketConn, buf []byte, proto int, replyType icmp.Type, dst netip.Addr, id, seq int, sent time.Time) (time.Duration, error) {
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			return 0, err
		}
		at := time.Now()
		m, err := icmp.ParseMessage(proto, buf[:n])
		if err != nil || m.Type != replyType {
			continue
		}
		echo, ok := m.Body.(*icmp.Echo)
		if !ok || echo.ID != id || echo.Seq != seq {
			continue
		}
		if ip, ok := from.(*net.IPAddr); !ok || !ip.IP.Equal(dst.AsSlice()) {
			continue
		}
		return at.Sub(sent), nil
	}
}
