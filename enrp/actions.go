package enrp

import "github.com/sigpool/sigpool/wire"

// AssocID names one association of the registrar; the driver assigns them
// and never reuses one. IDs with DialAssocBase set are chosen by the core
// for the associations it asks the driver to open (Actions.Dials).
type AssocID uint64

// DialAssocBase marks the association IDs the core allocates for dials.
const DialAssocBase AssocID = 1 << 62

// Dial asks the driver to open an association: to an ENRP peer the core
// learnt of (Protocol ENRP, the peer's Server Information transport), or
// to a PE this registrar took over (Protocol ASAP, the PE's
// data-plus-control user transport or SCTP ASAP transport), which then
// gets an Endpoint Keep-Alive with the H flag. The driver reports the
// outcome with AssociationUp (same Assoc) or AssociationDown.
type Dial struct {
	Assoc     AssocID
	Protocol  wire.Protocol
	Transport wire.Transport
}

// NoteKind classifies a Note.
type NoteKind int

// Notes the core reports for logging and tests.
const (
	NoteRegistered   NoteKind = iota + 1 // a new PE
	NoteReregistered                     // an update of a registered PE
	NoteDeregistered                     // the PE left
	NoteRemoved                          // the registrar removed the PE (Reason says why)
	NoteRejected                         // a registration was refused (Reason says why)
	NoteIgnored                          // a message was dropped (Reason says why)
	NotePeer                             // an ENRP peer event (Reason says what)
	NoteTakeover                         // an ENRP takeover event (Reason says what)
	NoteClosed                           // the registrar closed an association (Reason says why)
)

func (k NoteKind) String() string {
	switch k {
	case NoteRegistered:
		return "registered"
	case NoteReregistered:
		return "re-registered"
	case NoteDeregistered:
		return "deregistered"
	case NoteRemoved:
		return "removed"
	case NoteRejected:
		return "rejected"
	case NoteIgnored:
		return "ignored"
	case NotePeer:
		return "peer"
	case NoteTakeover:
		return "takeover"
	case NoteClosed:
		return "closed"
	}
	return "unknown"
}

// Note is something the driver may log. PoolHandle is shared with the
// handlespace or the decoded message: read it, do not keep or modify it.
type Note struct {
	Kind       NoteKind
	Assoc      AssocID
	PoolHandle wire.PoolHandle
	PE         wire.PEIdentifier
	Server     uint32 // the ENRP peer concerned, if any
	Reason     string
}

type sendRec struct {
	assoc    AssocID
	ppid     uint32
	off, end int
}

// Actions collects what one call into the core asks the driver to do:
// messages to send (encoded into one reused buffer, so the hot path
// allocates nothing), associations to abort, notes to log. The caller owns
// it and calls Reset before reusing it; each goroutine that calls into the
// core uses its own.
type Actions struct {
	buf    []byte
	sends  []sendRec
	Aborts []AssocID
	Dials  []Dial
	Notes  []Note
	queued []bool // set by the driver: message i went to a send queue
}

// Reset empties a for reuse, keeping its buffers.
func (a *Actions) Reset() {
	a.buf = a.buf[:0]
	a.sends = a.sends[:0]
	a.Aborts = a.Aborts[:0]
	a.Dials = a.Dials[:0]
	a.Notes = a.Notes[:0]
	a.queued = a.queued[:0]
}

// Len is the number of messages to send.
func (a *Actions) Len() int { return len(a.sends) }

// Message returns the i-th message to send: the association, its PPID
// (ASAP or ENRP) and the encoded bytes, valid until Reset.
func (a *Actions) Message(i int) (AssocID, uint32, []byte) {
	s := a.sends[i]
	return s.assoc, s.ppid, a.buf[s.off:s.end:s.end]
}

// appender is what every wire message is; the core passes concrete
// pointers so that encoding does not make them escape.
type appender interface {
	AppendTo(b []byte) ([]byte, error)
}

// send encodes m for assoc. Encoding fails only for values the core built
// from decoded input that cannot travel back (e.g. a reflected parameter
// too long); the message is then dropped and noted.
func (a *Actions) send(assoc AssocID, ppid uint32, m appender) {
	off := len(a.buf)
	b, err := m.AppendTo(a.buf)
	if err != nil {
		a.buf = a.buf[:off]
		a.note(Note{Kind: NoteIgnored, Assoc: assoc, Reason: "cannot encode reply: " + err.Error()})
		return
	}
	a.buf = b
	a.sends = append(a.sends, sendRec{assoc: assoc, ppid: ppid, off: off, end: len(b)})
}

func (a *Actions) note(n Note) { a.Notes = append(a.Notes, n) }
