package transporttest_test

import (
	"fmt"
	"net/netip"

	"github.com/seigr/stt-tun/sttcore/transport/transporttest"
)

func Example() {
	n := transporttest.NewNetwork(transporttest.Config{Seed: 1})
	defer n.Close()
	a, _ := n.NewConn(netip.MustParseAddrPort("10.0.0.1:51820"))
	b, _ := n.NewConn(netip.MustParseAddrPort("10.0.0.2:51820"))

	_ = a.WriteBatch([][]byte{[]byte("hello")}, b.LocalAddr())
	bufs, sizes, eps := [][]byte{make([]byte, 1500)}, make([]int, 1), make([]netip.AddrPort, 1)
	k, _ := b.ReadBatch(bufs, sizes, eps)
	fmt.Println(k, string(bufs[0][:sizes[0]]), "from", eps[0])

	// The client's NAT rebinds: replies must go to its new address.
	newAddr := n.Rebind(a)
	_ = a.WriteBatch([][]byte{[]byte("again")}, b.LocalAddr())
	_, _ = b.ReadBatch(bufs, sizes, eps)
	fmt.Println(eps[0] == newAddr, n.Stats().Delivered)
	// Output:
	// 1 hello from 10.0.0.1:51820
	// true 2
}
