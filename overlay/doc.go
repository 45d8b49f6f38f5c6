// Package overlay is stt-tun's VPN engine: it moves IP packets between a TUN
// device and the STT sessions of the peers that own their addresses.
//
// Outbound, it reads batches of packets from the device, finds the peer whose
// allowed prefixes hold each destination (longest-prefix match, package
// routing) and sends the packet in an IP frame on that peer's session,
// opening the session first when there is none (packets wait in the
// session's bounded queue meanwhile). A packet for no peer is answered with
// an ICMP destination-unreachable, as a router would. Inbound, sttcore hands
// it each tunnelled packet with the session it came on; the packet is
// written to the device only if its inner source address routes back to that
// very peer, else it is dropped and counted.
//
// The engine owns the sttcore.Node and the device it is given: Close closes
// both. Peers can be replaced while it runs (SetPeers). It leaves the
// device's addresses and kernel routes to its caller, except that it asks the
// optional Routes interface to follow the peers' prefixes. Every method is
// safe for concurrent use.
package overlay
