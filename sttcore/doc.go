// Package sttcore is the STT protocol stack: authenticated, encrypted
// sessions between nodes named by their public keys, over UDP.
//
// A program needs few names. Each node has a private key
// (stc.GeneratePrivateKey) and, usually, the shared seed of its network.
// [Listen] opens a [Node] on a UDP address; [Node.Dial] opens a [Session] with
// a peer whose public key and address it knows, [Node.Accept] returns the
// sessions that peers open. A session carries unreliable datagrams
// ([Session.SendDatagram], [Session.ReceiveDatagram]), tunnelled IP packets
// for the VPN engine ([Session.SendIP], [Node.HandleIP]), and application
// frames of types 0x80–0xff ([Session.SendFrame], [Node.HandleFrame]).
//
// Beneath a session, the node runs the STT handshake (Noise IKpsk2 in one
// round trip), rekeys every two minutes without losing a packet, follows a
// peer that changes address (roaming), and answers nothing that does not
// authenticate: packets from other networks, replays and forgeries are
// dropped and counted ([NodeStats], [Stats]). Under a flood of handshakes it
// hands out cookies and rate-limits per address, so legitimate peers still
// get through. docs/protocol.md specifies every byte.
//
// Concurrency: every exported method is safe for concurrent use. A node runs
// a receive goroutine, a handshake goroutine and one timer goroutine per
// session; the data path runs on the caller's goroutine when sending and on
// the receive goroutine when receiving, without a goroutine or channel send
// per packet. Node.Close stops them all.
//
// Errors: every call on a closed node or session returns an error wrapping
// net.ErrClosed; context.Cause(session.Context()) tells why a session ended:
// a [*CloseError], [ErrHandshakeTimeout], [ErrIdleTimeout], or an error wrapping
// [ErrNodeClosed] (the node was closed, or stopped on its own: [Node.Err]).
package sttcore
