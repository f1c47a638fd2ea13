package sg

import (
	"time"

	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/wire"
)

// bindState says where a binding's messages go.
type bindState uint8

const (
	// bound: straight to its PE.
	bound bindState = iota + 1
	// echoPending: moved to a survivor whose Cookie Echo is on its way;
	// messages wait in the buffer until it has been sent.
	echoPending
	// waiting: no PE is ACTIVE in the pool; messages wait for one.
	waiting
)

// upstreamRef names the upstream ASP (and its AS) a dialogue came from, so
// that answers go back the way it came.
type upstreamRef struct {
	proto mxua.Protocol
	assoc mxua.AssocID
}

// binding is one call, dialogue or link selection and where it lives.
type binding struct {
	key   mxua.BindingKey
	pool  *pool
	pe    *pe // nil while waiting
	state bindState
	gen   uint32 // changes whenever the binding is freed or starts waiting

	// cookie is the latest Cookie its PE sent, kept as received so that
	// a survivor gets exactly that in its Cookie Echo.
	cookie wire.Cookie

	origin    upstreamRef
	hasOrigin bool

	poolTID    uint32 // the pool side's TCAP transaction ID, once seen
	hasPoolTID bool

	// unanswered counts messages sent to the PE since it last sent one of
	// this binding; since is when the first of them went.
	unanswered uint32
	since      time.Time
	lastUsed   time.Time
	// sent keeps the first maxResend of those messages: if the PE is lost
	// before it answers, they go again to the survivor (after the Cookie
	// Echo), so an IAM or REL a dying GWC never read is not lost.
	sent []*mxua.Message

	// buf holds messages while echoPending or waiting, in arrival order.
	buf []*mxua.Message
	// endAfterFlush: a buffered message ends the dialogue.
	endAfterFlush bool
	// finished: its GWC said the call is over (empty cookie); it lingers
	// briefly for the messages that close it, which may arrive after the
	// cookie.
	finished bool

	// links in the PE's list
	prev, next *binding
}

// tidKey finds a dialogue from the pool side's transaction ID, which is
// all an SS7-side TCAP End or Abort carries (Q.773: only the destination
// TID).
type tidKey struct {
	poolPC, ss7PC, tid uint32
}

// tidEntry is the binding of a pool-side TID or, for a dialogue the pool
// began and the SS7 side has not answered yet, the PE that began it.
type tidEntry struct {
	b        *binding
	gen      uint32
	pe       *pe
	lastUsed time.Time
}

// bkey is a BindingKey packed for hashing: two words hash in one step,
// where the struct (with padding) hashes field by field.
type bkey [2]uint64

func packKey(k mxua.BindingKey) bkey {
	return bkey{uint64(k.Kind)<<32 | uint64(k.ID), uint64(k.SS7PC)<<32 | uint64(k.PoolPC)}
}

// bindingTable is the binding table with a free list, so that a busy SG
// creates and ends dialogues without allocating, and the TID index.
type bindingTable struct {
	m    map[bkey]*binding
	tids map[tidKey]tidEntry
	free []*binding
	max  int
}

func newBindingTable(max int) bindingTable {
	return bindingTable{m: make(map[bkey]*binding, 1024), tids: make(map[tidKey]tidEntry, 1024), max: max}
}

func (t *bindingTable) get(k mxua.BindingKey) *binding { return t.m[packKey(k)] }

func (t *bindingTable) len() int { return len(t.m) }

// full says no binding may be added.
func (t *bindingTable) full() bool { return len(t.m) >= t.max }

// add creates a binding (the caller checked full).
func (t *bindingTable) add(k mxua.BindingKey, p *pool, now time.Time) *binding {
	var b *binding
	if n := len(t.free); n > 0 {
		b = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		b = &binding{}
	}
	b.key, b.pool, b.lastUsed = k, p, now
	t.m[packKey(k)] = b
	return b
}

// remove deletes a binding and its TID entry and recycles it; the caller
// has unlinked it from its PE.
func (t *bindingTable) remove(b *binding) {
	delete(t.m, packKey(b.key))
	if b.hasPoolTID {
		tk := tidKey{b.key.PoolPC, b.key.SS7PC, b.poolTID}
		if e, ok := t.tids[tk]; ok && e.b == b {
			delete(t.tids, tk)
		}
	}
	gen := b.gen + 1
	buf := b.buf[:0]
	clear(b.buf)
	sent := b.sent[:0]
	clear(b.sent)
	*b = binding{gen: gen, buf: buf, sent: sent}
	if len(t.free) < 4096 {
		t.free = append(t.free, b)
	}
}

// link puts b on e's list.
func (e *pe) link(b *binding) {
	b.pe, b.prev, b.next = e, nil, e.head
	if e.head != nil {
		e.head.prev = b
	}
	e.head = b
	e.bindings++
}

// unlink takes b off its PE's list.
func (b *binding) unlink() {
	e := b.pe
	if e == nil {
		return
	}
	if b.prev != nil {
		b.prev.next = b.next
	} else {
		e.head = b.next
	}
	if b.next != nil {
		b.next.prev = b.prev
	}
	b.prev, b.next, b.pe = nil, nil, nil
	e.bindings--
}

// takeAll empties e's list and returns its old head (walk with next).
func (e *pe) takeAll() *binding {
	h := e.head
	e.head, e.bindings = nil, 0
	return h
}

// maxResend bounds the unanswered messages a binding keeps to send again
// after a failover: a call or dialogue has a few at most in flight.
const maxResend = 8

// answered notes that the PE sent a message of b: what it was sent
// before has been read.
func (b *binding) answered() {
	b.unanswered = 0
	clear(b.sent)
	b.sent = b.sent[:0]
}
