package sttcore

import (
	"crypto/cipher"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seigr/stt-tun/sttcore/handshake"
	"github.com/seigr/stt-tun/sttcore/stc"
	"github.com/seigr/stt-tun/sttcore/stc/replay"
	"github.com/seigr/stt-tun/sttcore/wire"
)

// A keypair is the product of one handshake: a sending and a receiving AEAD,
// the two indices that name it, and its replay window.
type keypair struct {
	send, recv  cipher.AEAD
	suite       stc.Suite
	created     time.Time
	isInitiator bool
	local       wire.Index // the index peers put in DATA packets to us
	remote      wire.Index // the index we put in DATA packets to the peer
	epoch       uint64     // 1 for a session's first keypair, then counting
	session     *Session

	sent     atomic.Uint64 // packets sealed with this keypair
	received atomic.Uint64 // packets opened with this keypair

	// respondedAt is when the responder sent the RESPONSE that made this
	// keypair; the initiator's first packet on it comes one round trip later.
	respondedAt time.Time

	replayMu sync.Mutex
	replay   replay.Filter
}

func newKeypair(s *Session, k *handshake.Keys, initiator bool, local, remote wire.Index, now time.Time) (*keypair, error) {
	send, err := stc.NewAEAD(k.Suite, &k.Send)
	if err != nil {
		return nil, err
	}
	recv, err := stc.NewAEAD(k.Suite, &k.Recv)
	if err != nil {
		return nil, err
	}
	clear(k.Send[:])
	clear(k.Recv[:])
	return &keypair{
		send: send, recv: recv, suite: k.Suite,
		created: now, isInitiator: initiator,
		local: local, remote: remote, session: s,
	}, nil
}

// checkReplay marks counter as received and reports whether it was new.
func (kp *keypair) checkReplay(counter uint64, limit uint64) bool {
	kp.replayMu.Lock()
	ok := kp.replay.ValidateCounter(counter, limit)
	kp.replayMu.Unlock()
	return ok
}

// keypairs is a session's set: the one in use, the one before (still valid
// for packets in flight) and, on the responder's side, the next one, which
// becomes current once the initiator has used it. Writers hold mu; the send
// path reads current without it.
type keypairs struct {
	mu       sync.Mutex
	previous *keypair
	next     *keypair
	current  atomic.Pointer[keypair]
	epoch    uint64
}
