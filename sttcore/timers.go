package sttcore

import (
	"time"
)

// run is the session's goroutine: it owns the session's timers (handshake
// retry and give-up, rekey, keepalives, idle timeout) behind one timer set
// for the earliest deadline. The data path never waits for it; it wakes it
// through the one-slot notify channel.
func (s *Session) run() {
	n := s.node
	defer n.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := n.now()
		next := s.onTimers(now)
		if s.ctx.Err() != nil {
			return
		}
		if d := s.streamTimers(now); d < next {
			next = d
		}
		timer.Reset(next)
		select {
		case <-s.ctx.Done():
			return
		case <-timer.C:
		case <-s.notify:
		}
	}
}

// onTimers fires every timer that is due at now and returns the time until
// the next one.
func (s *Session) onTimers(now time.Time) time.Duration {
	n := s.node
	cfg := n.cfg
	next := time.Hour
	at := func(t time.Time) {
		if d := t.Sub(now); d < next {
			next = max(d, time.Millisecond)
		}
	}

	// Idle timeout.
	lastRecv := time.Unix(0, s.lastRecv.Load())
	if cfg.IdleTimeout > 0 {
		if now.Sub(lastRecv) >= cfg.IdleTimeout {
			s.terminate(ErrIdleTimeout)
			return next
		}
		at(lastRecv.Add(cfg.IdleTimeout))
	}

	s.mu.Lock()
	// A session begun by a HELLO that was never confirmed goes away.
	if s.byHello && !s.everEstablished.Load() && s.hs == nil {
		if now.Sub(s.created) >= cfg.RekeyAttemptTime {
			s.mu.Unlock()
			s.terminate(ErrHandshakeTimeout)
			return next
		}
		at(s.created.Add(cfg.RekeyAttemptTime))
	}

	// Handshakes: start one that is wanted, retry or give up one in flight.
	// While one is in flight the wanted flag stays set, so that the data path
	// does not wake this goroutine for every packet; handleResponse wakes it.
	// Without an endpoint there is nowhere to send a HELLO: the request
	// stays until SetEndpoint gives one or the peer calls in.
	if s.hs == nil && s.RemoteAddr().IsValid() && s.handshakeWanted.Load() {
		need, waitUntil := s.needsHandshake(now)
		switch {
		case need:
			s.handshakeWanted.Store(false)
			s.hsStarted, s.hsAttempts = now, 0
			s.sendHelloLocked(now)
			s.hsNextRetry = now.Add(s.retryInterval())
		case !waitUntil.IsZero():
			at(waitUntil) // keep the request: look again then
		default:
			s.handshakeWanted.Store(false) // the keys are fresh: nothing to do
		}
	} else if s.hs != nil {
		switch {
		case now.Sub(s.hsStarted) >= cfg.RekeyAttemptTime:
			n.index.delete(s.hs.index)
			s.hs = nil
			dropped := len(s.staged)
			s.staged = nil
			s.counters.drops[DropDatagramQueue].Add(uint64(dropped))
			if !s.everEstablished.Load() {
				s.mu.Unlock()
				s.terminate(ErrHandshakeTimeout)
				return next
			}
		case !now.Before(s.hsNextRetry):
			s.hsAttempts++
			s.sendHelloLocked(now)
			s.hsNextRetry = now.Add(s.retryInterval())
		}
	}
	if s.hs != nil {
		at(s.hsNextRetry)
		at(s.hsStarted.Add(cfg.RekeyAttemptTime))
	}
	s.mu.Unlock()

	// Keepalives: passive (we received data and sent nothing back for
	// KeepaliveTimeout) and persistent (nothing sent for PersistentKeepalive).
	// Disarmed before needKeepalive is read: a packet received after this
	// read finds the flag clear and wakes this goroutine.
	s.keepaliveArmed.Store(false)
	passive := s.needKeepalive.Load()
	lastSent := time.Unix(0, s.lastSent.Load())
	due := time.Time{}
	if passive {
		due = lastSent.Add(cfg.KeepaliveTimeout)
	}
	pka := s.persistentKeepalive()
	if pka > 0 {
		if p := lastSent.Add(pka); due.IsZero() || p.Before(due) {
			due = p
		}
	}
	if !due.IsZero() {
		if !now.Before(due) {
			if kp := s.usableKeypair(now); kp != nil {
				_ = s.sendPlaintext(kp, nil, nil)
			}
			s.needKeepalive.Store(false)
			if pka > 0 {
				at(now.Add(pka))
			}
		} else {
			at(due)
			if passive {
				s.keepaliveArmed.Store(true)
			}
		}
	}
	return next
}

// needsHandshake reports whether a new handshake is due: no keypair, or the
// current one is due for a rekey. When not yet, but it may be later (a
// responder waiting for the initiator's first packet), it returns when to
// look again. The caller holds s.mu.
func (s *Session) needsHandshake(now time.Time) (bool, time.Time) {
	kp := s.kps.current.Load()
	if kp == nil {
		// The responder of a fresh session waits for the initiator's packet,
		// for RekeyTimeout; then it starts a handshake of its own.
		s.kps.mu.Lock()
		awaiting := s.byHello && s.kps.next != nil
		s.kps.mu.Unlock()
		if !awaiting {
			return true, time.Time{}
		}
		giveUp := s.created.Add(s.node.cfg.RekeyTimeout)
		if now.After(giveUp) {
			return true, time.Time{}
		}
		return false, giveUp.Add(time.Millisecond)
	}
	cfg := s.node.cfg
	age := now.Sub(kp.created)
	sent := kp.sent.Load()
	return age >= cfg.RejectAfterTime-cfg.KeepaliveTimeout ||
		sent >= cfg.RekeyAfterMessages ||
		(kp.isInitiator && age >= cfg.RekeyAfterTime) ||
		(kp.isInitiator && age >= cfg.rekeyOnReceiveAge()), time.Time{}
}

// streamTimers fires the streams' loss detection timer when due, sends what
// the streams have to send, and returns the time until their next timer:
// loss detection, the ACK alarm or the pacer.
func (s *Session) streamTimers(now time.Time) time.Duration {
	m := s.streams
	if !m.tracking() {
		return time.Hour
	}
	m.mu.Lock()
	if t := m.sph.GetLossDetectionTimeout(); !t.IsZero() && !now.Before(t) {
		m.sph.OnLossDetectionTimeout(now)
	}
	m.mu.Unlock()
	// Send batch after batch while they come out full: the congestion
	// window, the pacer or the data runs out, and a batch comes out short.
	var pacing time.Time
	for more := true; more && s.ctx.Err() == nil; {
		pacing, more = s.sendStreams(now)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	next := time.Hour
	for _, t := range []time.Time{m.sph.GetLossDetectionTimeout(), m.rph.AckAlarm(), pacing} {
		if !t.IsZero() {
			next = min(next, max(t.Sub(now), time.Millisecond/4))
		}
	}
	return next
}
