package gwc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/mxua/tcap"
)

// The State of a GWC's binding cookie: what a surviving GWC needs to carry
// a call or dialogue on. The key (point codes, CIC or SS7-side TID) travels
// beside it in the mxua.BindingCookie.
//
//	version 1 | kind | created (unix ms, int64) | body
//	circuit body:  state, cause, RELs sent, NI, MP, SLS, OPC(4), DPC(4), CIC(2),
//	               answered ago (ms, int64; -1 before answer),
//	               deadline in (ms, int64; -1 for none),
//	               network appearance flag + value(4), RC count + RCs(4 each)
//	dialogue body: SS7-side TID length + octets, pool-side TID(4),
//	               Continues sent(2), Continues before End(2)
//
// Times are relative to "created", so a GWC whose clock differs a little
// still keeps the call's deadlines; an absurd created time (ahead of the
// restoring GWC, or a day old) is replaced by the time of restore.

const (
	stateVersion      = 1
	stateKindCircuit  = 1
	stateKindDialogue = 2
	stateHeaderLen    = 10

	// maxStateSpan bounds every duration a cookie may carry: beyond it a
	// cookie is refused rather than a deadline put at the end of time.
	maxStateSpan = 30 * 24 * time.Hour
	// maxCookieAge: a cookie created longer ago is timed from the restore.
	maxCookieAge = 24 * time.Hour
	maxStateRCs  = 16
)

// errState is what every malformed cookie state wraps.
var errState = errors.New("call state")

// savedState is a parsed cookie state: *circuitState or *dialogueState.
type savedState interface {
	// base is the instant the state's relative times count from.
	base(now time.Time) time.Time
}

func baseOf(created, now time.Time) time.Time {
	if created.IsZero() || created.After(now) || now.Sub(created) > maxCookieAge {
		return now
	}
	return created
}

// circuitState is a call's cookie state.
type circuitState struct {
	Created     time.Time
	State       callState
	Cause       uint8
	Attempts    uint8
	Route       route
	CIC         uint16
	AnsweredAgo time.Duration // negative: not answered
	DueIn       time.Duration // negative: no deadline
}

// dialogueState is a TCAP dialogue's cookie state.
type dialogueState struct {
	Created     time.Time
	SS7TID      tcap.TID
	PoolTID     uint32
	Sent, Limit uint16
}

func (s *circuitState) base(now time.Time) time.Time  { return baseOf(s.Created, now) }
func (s *dialogueState) base(now time.Time) time.Time { return baseOf(s.Created, now) }

// snapshot is the call's cookie state at now.
func (c *call) snapshot(now time.Time) []byte {
	s := circuitState{Created: now, State: c.state, Cause: c.cause, Attempts: uint8(min(c.attempts, 255)),
		Route: c.r, CIC: c.cic, AnsweredAgo: -1, DueIn: -1}
	if !c.answered.IsZero() {
		s.AnsweredAgo = max(now.Sub(c.answered), 0)
	}
	if !c.due.IsZero() {
		s.DueIn = max(c.due.Sub(now), 0)
	}
	return s.marshal()
}

// call rebuilds a call from its state, deadlines counted from base.
func (s *circuitState) call(key mxua.BindingKey, base time.Time) *call {
	c := &call{key: key, cic: s.CIC, state: s.State, r: s.Route, cause: s.Cause, attempts: int(s.Attempts)}
	if s.AnsweredAgo >= 0 {
		c.answered = base.Add(-s.AnsweredAgo)
	}
	if s.DueIn >= 0 {
		c.due = base.Add(s.DueIn)
	}
	return c
}

// snapshot is the dialogue's cookie state at now.
func (d *dialogue) snapshot(now time.Time) []byte {
	s := dialogueState{Created: now, SS7TID: d.ss7TID, PoolTID: d.poolTID, Sent: uint16(min(d.sent, 0xffff)), Limit: uint16(min(d.limit, 0xffff))}
	return s.marshal()
}

func appendHeader(b []byte, kind byte, created time.Time) []byte {
	b = append(b, stateVersion, kind)
	return binary.BigEndian.AppendUint64(b, uint64(created.UnixMilli()))
}

func (s *circuitState) marshal() []byte {
	b := make([]byte, 0, stateHeaderLen+42+4*len(s.Route.RC))
	b = appendHeader(b, stateKindCircuit, s.Created)
	r := &s.Route
	b = append(b, byte(s.State), s.Cause, s.Attempts, r.NI, r.MP, r.SLS)
	b = binary.BigEndian.AppendUint32(b, r.OPC)
	b = binary.BigEndian.AppendUint32(b, r.DPC)
	b = binary.BigEndian.AppendUint16(b, s.CIC)
	b = binary.BigEndian.AppendUint64(b, uint64(msOf(s.AnsweredAgo)))
	b = binary.BigEndian.AppendUint64(b, uint64(msOf(s.DueIn)))
	if r.NA != nil {
		b = append(b, 1)
		b = binary.BigEndian.AppendUint32(b, *r.NA)
	} else {
		b = append(b, 0, 0, 0, 0, 0)
	}
	rcs := r.RC[:min(len(r.RC), maxStateRCs)]
	b = append(b, byte(len(rcs)))
	for _, rc := range rcs {
		b = binary.BigEndian.AppendUint32(b, rc)
	}
	return b
}

func (s *dialogueState) marshal() []byte {
	b := make([]byte, 0, stateHeaderLen+13)
	b = appendHeader(b, stateKindDialogue, s.Created)
	b = append(b, byte(s.SS7TID.Len()))
	b = append(b, s.SS7TID.Bytes()...)
	b = binary.BigEndian.AppendUint32(b, s.PoolTID)
	b = binary.BigEndian.AppendUint16(b, s.Sent)
	return binary.BigEndian.AppendUint16(b, s.Limit)
}

// msOf is a duration in whole milliseconds, -1 for "none".
func msOf(d time.Duration) int64 {
	if d < 0 {
		return -1
	}
	return d.Milliseconds()
}

// stateReader reads a state, remembering the first failure.
type stateReader struct {
	b   []byte
	off int
	err error
}

func (r *stateReader) take(n int, field string) []byte {
	if r.err != nil {
		return nil
	}
	if len(r.b)-r.off < n {
		r.err = fmt.Errorf("%w: truncated at %s (offset %d of %d)", errState, field, r.off, len(r.b))
		return nil
	}
	v := r.b[r.off : r.off+n]
	r.off += n
	return v
}

func (r *stateReader) u8(field string) uint8 {
	if v := r.take(1, field); v != nil {
		return v[0]
	}
	return 0
}

func (r *stateReader) u16(field string) uint16 {
	if v := r.take(2, field); v != nil {
		return binary.BigEndian.Uint16(v)
	}
	return 0
}

func (r *stateReader) u32(field string) uint32 {
	if v := r.take(4, field); v != nil {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}

// span reads a millisecond count: -1 is "none" (returned negative).
func (r *stateReader) span(field string) time.Duration {
	v := r.take(8, field)
	if v == nil {
		return -1
	}
	ms := int64(binary.BigEndian.Uint64(v))
	if ms == -1 {
		return -1
	}
	if ms < 0 || ms > maxStateSpan.Milliseconds() {
		r.err = fmt.Errorf("%w: %s of %d ms out of range", errState, field, ms)
		return -1
	}
	return time.Duration(ms) * time.Millisecond
}

// parseState reads a cookie state written by snapshot.
func parseState(b []byte) (savedState, error) {
	r := &stateReader{b: b}
	if v := r.u8("version"); r.err == nil && v != stateVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", errState, v, stateVersion)
	}
	kind := r.u8("kind")
	var created time.Time
	if v := r.take(8, "created"); v != nil {
		created = time.UnixMilli(int64(binary.BigEndian.Uint64(v))).UTC()
	}
	if r.err != nil {
		return nil, r.err
	}
	switch kind {
	case stateKindCircuit:
		s := &circuitState{Created: created}
		s.State = callState(r.u8("call state"))
		s.Cause, s.Attempts = r.u8("cause"), r.u8("RELs sent")
		s.Route.NI, s.Route.MP, s.Route.SLS = r.u8("NI"), r.u8("MP"), r.u8("SLS")
		s.Route.OPC, s.Route.DPC = r.u32("OPC"), r.u32("DPC")
		s.CIC = r.u16("CIC")
		s.AnsweredAgo, s.DueIn = r.span("answered ago"), r.span("deadline")
		hasNA, na := r.u8("network appearance flag"), r.u32("network appearance")
		if hasNA == 1 {
			s.Route.NA = &na
		}
		n := int(r.u8("RC count"))
		if n > maxStateRCs {
			return nil, fmt.Errorf("%w: %d routing contexts, at most %d", errState, n, maxStateRCs)
		}
		for range n {
			s.Route.RC = append(s.Route.RC, r.u32("RC"))
		}
		switch {
		case r.err != nil:
			return nil, r.err
		case s.State < callAlerting || s.State > callReleasing:
			return nil, fmt.Errorf("%w: call state %d", errState, s.State)
		case hasNA > 1:
			return nil, fmt.Errorf("%w: network appearance flag %d", errState, hasNA)
		case s.CIC > 0x0fff:
			return nil, fmt.Errorf("%w: CIC %d beyond 12 bits", errState, s.CIC)
		case s.Cause > 0x7f:
			return nil, fmt.Errorf("%w: cause %d beyond 7 bits", errState, s.Cause)
		}
		return s, r.rest()
	case stateKindDialogue:
		s := &dialogueState{Created: created}
		n := int(r.u8("TID length"))
		if n < 1 || n > 4 {
			if r.err == nil {
				return nil, fmt.Errorf("%w: SS7-side TID of %d octets, want 1-4", errState, n)
			}
			return nil, r.err
		}
		tid := r.take(n, "SS7-side TID")
		s.PoolTID = r.u32("pool-side TID")
		s.Sent, s.Limit = r.u16("Continues sent"), r.u16("Continues before End")
		if r.err != nil {
			return nil, r.err
		}
		var err error
		if s.SS7TID, err = tcap.NewTID(tid); err != nil {
			return nil, fmt.Errorf("%w: %w", errState, err)
		}
		return s, r.rest()
	}
	return nil, fmt.Errorf("%w: kind %d", errState, kind)
}

// rest refuses trailing bytes.
func (r *stateReader) rest() error {
	if r.off != len(r.b) {
		return fmt.Errorf("%w: %d trailing bytes", errState, len(r.b)-r.off)
	}
	return nil
}
