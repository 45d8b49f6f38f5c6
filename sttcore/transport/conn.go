package transport

import "net/netip"

// IdealBatchSize is the number of packets a Conn should move in one call.
const IdealBatchSize = 128

// MaxPacketSize is the largest STT packet a transport must carry: a UDP
// datagram payload over IPv4.
const MaxPacketSize = 65507

// Conn is a datagram transport that moves STT packets in batches. The caller
// owns every buffer.
type Conn interface {
	// ReadBatch blocks until at least one packet has arrived, then fills up
	// to len(bufs) of them: bufs[i][:sizes[i]] was sent from eps[i]. A packet
	// larger than its buffer is dropped. After Close it returns an error
	// wrapping net.ErrClosed.
	ReadBatch(bufs [][]byte, sizes []int, eps []netip.AddrPort) (n int, err error)
	// WriteBatch sends each of bufs as one packet to ep.
	WriteBatch(bufs [][]byte, ep netip.AddrPort) error
	// LocalAddr is the address packets are received on.
	LocalAddr() netip.AddrPort
	// BatchSize is the most packets one ReadBatch or WriteBatch moves.
	BatchSize() int
	// Close stops the transport; it is idempotent.
	Close() error
}
