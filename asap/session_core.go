package asap

import (
	"slices"

	"github.com/sigpool/sigpool/wire"
)

// sessionCore is the pure part of a Session: what the PU remembers across
// PE failures (the PE's last Cookie and Business Card) and what it sends a
// new PE after a failover.
type sessionCore struct {
	handle     wire.PoolHandle
	cur        *wire.PoolElement
	lastCookie wire.Cookie
	card       *wire.BusinessCard
	failovers  int
}

// control takes an ASAP message the PE sent on the data association.
func (s *sessionCore) control(m wire.Message) {
	switch m := m.(type) {
	case *wire.CookieMessage:
		s.lastCookie = slices.Clone(m.Cookie)
	case *wire.BusinessCard:
		c := *m
		s.card = &c
	}
}

// connected records the new PE and returns what to send it before any data:
// after a failover, a Cookie Echo of the last cookie received.
func (s *sessionCore) connected(pe wire.PoolElement) []wire.Message {
	s.cur = &pe
	if s.failovers == 0 || s.lastCookie == nil {
		return nil
	}
	return []wire.Message{&wire.CookieEcho{Cookie: slices.Clone(s.lastCookie)}}
}

// lost records that the current PE failed and returns it (nil: none yet).
func (s *sessionCore) lost() *wire.PoolElement {
	pe := s.cur
	if pe != nil {
		s.failovers++
	}
	s.cur = nil
	return pe
}

// candidates lists the failover targets the last PE's Business Card named,
// without those excluded.
func (s *sessionCore) candidates(exclude []wire.PEIdentifier) []wire.PoolElement {
	if s.card == nil {
		return nil
	}
	var out []wire.PoolElement
	for _, pe := range s.card.PoolElements {
		if !slices.Contains(exclude, pe.Identifier) {
			out = append(out, pe)
		}
	}
	return out
}
