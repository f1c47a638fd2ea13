package asap

import (
	"time"

	"github.com/sigpool/sigpool/wire"
)

// AssocID names an association for a core. The driver assigns them; zero
// means none.
type AssocID uint64

// Action is what a core asks its driver to do. The concrete types are
// DialRegistrar, Send, CloseAssoc, PEEvent (PE core) and Resolved (PU core).
type Action interface{ isAction() }

// DialRegistrar asks the driver to open an association to registrar
// number Index of the configured list and to report AssocUp or DialFailed
// with that index.
type DialRegistrar struct{ Index int }

// Send asks the driver to send Msg (PPID 11) on association Assoc.
type Send struct {
	Assoc AssocID
	Msg   wire.Message
}

// CloseAssoc asks the driver to abort association Assoc (the registrar
// on it stopped answering). The driver reports AssocDown afterwards or not
// at all; the core has already forgotten it.
type CloseAssoc struct{ Assoc AssocID }

func (DialRegistrar) isAction() {}
func (Send) isAction()          {}
func (CloseAssoc) isAction()    {}
func (PEEvent) isAction()       {}
func (Resolved) isAction()      {}

// regLink tracks the association to the current registrar: which one of
// the configured list is tried, whether a dial is under way, and the
// back-off once every registrar has failed in a row.
type regLink struct {
	n        int
	idx      int
	assoc    AssocID
	dialing  bool
	fails    int
	retryAt  time.Time
	backoff  time.Duration
	min, max time.Duration
}

func newRegLink(n int, min, max time.Duration) regLink {
	return regLink{n: n, min: min, max: max, backoff: min}
}

// wantDial: no association, none being dialed, back-off over.
func (l *regLink) wantDial(now time.Time) bool {
	return l.n > 0 && l.assoc == 0 && !l.dialing && !now.Before(l.retryAt)
}

func (l *regLink) dial() Action {
	l.dialing = true
	return DialRegistrar{Index: l.idx}
}

func (l *regLink) up(id AssocID) {
	l.dialing = false
	l.assoc = id
}

// failed: the current registrar failed (dial refused, association lost,
// no answer). Move to the next one at once, or after the back-off when a
// whole round has failed.
func (l *regLink) failed(now time.Time) {
	l.dialing = false
	l.assoc = 0
	l.fails++
	if l.n > 0 {
		l.idx = (l.idx + 1) % l.n
	}
	if l.n == 0 || l.fails%l.n == 0 {
		l.retryAt = now.Add(l.backoff)
		l.backoff = min(2*l.backoff, l.max)
	} else {
		l.retryAt = now
	}
}

// ok: the registrar answered; reset the back-off.
func (l *regLink) ok() {
	l.fails = 0
	l.backoff = l.min
}

// deadline: when a dial is due, if one is wanted.
func (l *regLink) deadline() time.Time {
	if l.n == 0 || l.assoc != 0 || l.dialing {
		return time.Time{}
	}
	return l.retryAt
}

// earliest returns the earlier of two deadlines, zero meaning none.
func earliest(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero():
		return a
	case b.Before(a):
		return b
	}
	return a
}

// due reports whether deadline d (zero: none) has come.
func due(d, now time.Time) bool { return !d.IsZero() && !now.Before(d) }
