package sttcore

import (
	"crypto/rand"
	"encoding/binary"
	"sync"

	"github.com/seigr/stt-tun/sttcore/wire"
)

// indexEntry is what a local index names: a handshake this node initiated
// (awaiting RESPONSE or CHALLENGE) or a keypair (receiving DATA).
type indexEntry struct {
	session   *Session
	handshake *pendingHandshake
	keypair   *keypair
}

// indexTable maps the random 32-bit indices of this node to sessions.
type indexTable struct {
	mu    sync.RWMutex
	table map[wire.Index]indexEntry
}

func (t *indexTable) init() { t.table = make(map[wire.Index]indexEntry) }

// newIndex reserves a fresh random index for e.
func (t *indexTable) newIndex(e indexEntry) wire.Index {
	var b [4]byte
	for {
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
		idx := wire.Index(binary.BigEndian.Uint32(b[:]))
		t.mu.Lock()
		if _, taken := t.table[idx]; !taken {
			t.table[idx] = e
			t.mu.Unlock()
			return idx
		}
		t.mu.Unlock()
	}
}

// swap replaces the entry of idx (a handshake becoming a keypair).
func (t *indexTable) swap(idx wire.Index, e indexEntry) {
	t.mu.Lock()
	t.table[idx] = e
	t.mu.Unlock()
}

func (t *indexTable) lookup(idx wire.Index) (indexEntry, bool) {
	t.mu.RLock()
	e, ok := t.table[idx]
	t.mu.RUnlock()
	return e, ok
}

func (t *indexTable) delete(idx wire.Index) {
	t.mu.Lock()
	delete(t.table, idx)
	t.mu.Unlock()
}

func (t *indexTable) len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.table)
}
