package impair_test

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/seigr/stt-tun/internal/impair"
)

// A relay in front of a UDP echo server, adding 10 ms each way.
func ExampleNewRelay() {
	echo, _ := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	defer echo.Close()
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := echo.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			echo.WriteToUDPAddrPort(buf[:n], from)
		}
	}()

	r, err := impair.NewRelay(context.Background(), "127.0.0.1:0", echo.LocalAddr().String(),
		impair.Config{Delay: 10 * time.Millisecond})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()

	c, _ := net.DialUDP("udp", nil, r.Addr().(*net.UDPAddr))
	defer c.Close()
	start := time.Now()
	c.Write([]byte("hello"))
	buf := make([]byte, 1500)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, _ := c.Read(buf)
	fmt.Printf("%s after >= 20ms: %v\n", buf[:n], time.Since(start) >= 20*time.Millisecond)
	st := r.Stats()
	fmt.Println("forwarded up/down:", st.Up.Forwarded, st.Down.Forwarded)
	// Output:
	// hello after >= 20ms: true
	// forwarded up/down: 1 1
}
