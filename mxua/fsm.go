package mxua

// The state machines of this package (ASP, SGP, IPSP) are sans-I/O, in the
// style of etcd's raft: a driver feeds them events — a decoded message in,
// a timer that fired, an association up or down, a local command — and
// carries out the actions they return — messages to send, timers to arm
// or cancel, notifications for the application. No core reads the clock,
// opens a socket or starts a goroutine: the current time is an argument of
// Step, so tests run simulated seconds in microseconds.

import (
	"fmt"
	"time"
)

// AssocID names one SCTP (or TCP) association as the driver knows it.
type AssocID uint64

// Event is an input of Step: MessageIn, TimerFired, AssocUp, AssocDown or
// one of the local commands (ASPUpRequest, ..., Transfer, ...).
type Event interface{ isEvent() }

// Action is an output of Step: SendMessage, SetTimer, CancelTimer, Notify
// or AbortAssoc.
type Action interface{ isAction() }

// MessageIn is a message decoded from an association.
type MessageIn struct {
	Assoc  AssocID
	Stream uint16
	Msg    *Message
}

// TimerFired reports that the timer armed by SetTimer{ID} has expired.
// A fire for a timer that was cancelled or re-armed later is ignored, so
// drivers need not worry about races between cancel and expiry.
type TimerFired struct{ ID TimerID }

// AssocUp reports an established association with its number of outbound
// streams (stream 0 carries management; DATA spreads over 1..Streams-1).
type AssocUp struct {
	Assoc   AssocID
	Streams uint16
}

// AssocDown reports that an association was closed or aborted.
type AssocDown struct {
	Assoc  AssocID
	Reason string
}

// PeerHeard tells the core that messages arrived from the peer on Assoc
// since the previous one (or since AssocUp), whether or not the core saw
// them: the driver delivers user traffic without the core when nothing is
// queued, and reports that the association was heard from just before a
// BEAT timer of it fires. It proves the peer alive as a BEAT ACK does.
type PeerHeard struct{ Assoc AssocID }

// Transfer asks the core to send user traffic (an M3UA DATA or a SUA
// CLDT/CLDR/CO message): the MTP-TRANSFER / N-UNITDATA request. At an SGP
// it is routed by routing key to an AS and one of its ASPs; at an ASP it is
// sent to the peer SGP.
type Transfer struct{ Msg *Message }

func (MessageIn) isEvent()  {}
func (TimerFired) isEvent() {}
func (AssocUp) isEvent()    {}
func (AssocDown) isEvent()  {}
func (Transfer) isEvent()   {}
func (PeerHeard) isEvent()  {}

// SendMessage asks the driver to encode Msg and send it on Stream.
type SendMessage struct {
	Assoc  AssocID
	Stream uint16
	Msg    *Message
}

// SetTimer arms (or re-arms) the timer ID to fire at At.
type SetTimer struct {
	ID TimerID
	At time.Time
}

// CancelTimer disarms the timer ID.
type CancelTimer struct{ ID TimerID }

// AbortAssoc asks the driver to abort an association whose peer the core
// has declared dead (BEAT ACKs missing); the driver then reports AssocDown.
type AbortAssoc struct {
	Assoc  AssocID
	Reason string
}

func (SendMessage) isAction() {}
func (SetTimer) isAction()    {}
func (CancelTimer) isAction() {}
func (AbortAssoc) isAction()  {}
func (Notify) isAction()      {}

// TimerKind says which protocol timer a TimerID is.
type TimerKind uint8

// Timers.
const (
	TimerAck      TimerKind = iota + 1 // T(ack): ASPSM/ASPTM request retransmission
	TimerBeat                          // BEAT period and missed-ACK check
	TimerRecovery                      // T(r): AS-PENDING recovery
	TimerAudit                         // periodic DAUD for unavailable destinations
	TimerRKM                           // T(ack) of an ASP's REG REQ / DEREG REQ
	TimerRetry                         // retry of a refused ASP request (ASPConfig.RetryRefused)
)

func (k TimerKind) String() string {
	switch k {
	case TimerAck:
		return "T(ack)"
	case TimerBeat:
		return "T(beat)"
	case TimerRecovery:
		return "T(r)"
	case TimerAudit:
		return "T(audit)"
	case TimerRKM:
		return "T(rkm)"
	case TimerRetry:
		return "T(retry)"
	}
	return fmt.Sprintf("timer(%d)", uint8(k))
}

// TimerID identifies one timer: its kind and the association or routing
// context it belongs to. It is comparable, so drivers can key maps by it.
type TimerID struct {
	Kind           TimerKind
	Assoc          AssocID
	RoutingContext uint32
}

func (id TimerID) String() string {
	return fmt.Sprintf("%v assoc=%d rc=%d", id.Kind, id.Assoc, id.RoutingContext)
}

// NotifyKind says what a Notify reports.
type NotifyKind uint8

// Notifications to the application.
const (
	// NotifyASPState: an ASP changed state (ASP: its own; SGP: a peer ASP
	// on Assoc). ASP holds the new state, From the old.
	NotifyASPState NotifyKind = iota + 1
	// NotifyASState: an AS changed state (SGP: computed; ASP: learned from
	// NTFY). RoutingContext and AS are set.
	NotifyASState
	// NotifyPeerLost: AppHBMiss BEAT periods passed without a BEAT ACK.
	NotifyPeerLost
	// NotifyDeliver: user traffic (Msg) arrived for the application.
	NotifyDeliver
	// NotifyFlushed: Count messages buffered during AS-PENDING were sent
	// to the ASP that became active within T(r).
	NotifyFlushed
	// NotifyDiscarded: Count messages were dropped (Reason says why: T(r)
	// expired, no routing key, AS not active, buffer full, ...). Msg is the
	// message when a single one was dropped.
	NotifyDiscarded
	// NotifyStatus: a NTFY message other than an AS state change arrived
	// (alternate ASP active, insufficient ASP resources, ASP failure).
	NotifyStatus
	// NotifyError: an ERR message arrived (Msg).
	NotifyError
	// NotifyRequestFailed: an ASPUP/ASPDN/ASPAC/ASPIA request (Request)
	// was refused by ERR or went unanswered after MaxRetries T(ack)s. For
	// REG REQ / DEREG REQ (Request KindREGREQ / KindDEREGREQ) it also
	// reports each key or routing context REG RSP / DEREG RSP refused:
	// Status is its result status, Reason names the key or context.
	NotifyRequestFailed
	// NotifyDestination: a destination changed availability (ASP side,
	// learned from DUNA/DAVA/DRST/SCON in Msg). SSN is set when the change
	// is that of one subsystem (SUA SSNM with Affected SSN).
	NotifyDestination
	// NotifyUserPart: a user part (User, Cause) at Destination was
	// reported unavailable by DUPU (ASP side; Msg is the DUPU).
	NotifyUserPart
	// NotifyRegistered: a routing key was registered (ASP: learned from
	// REG RSP; SGP: an ASP on Assoc registered it). RoutingContext is the
	// AS's; Msg is the REG RSP.
	NotifyRegistered
	// NotifyDeregistered: the ASP on Assoc left the AS of RoutingContext
	// by DEREG REQ (both sides; SGP: AS is ASDown when the AS was removed).
	NotifyDeregistered
)

var notifyNames = map[NotifyKind]string{
	NotifyASPState: "asp-state", NotifyASState: "as-state", NotifyPeerLost: "peer-lost",
	NotifyDeliver: "deliver", NotifyFlushed: "flushed", NotifyDiscarded: "discarded",
	NotifyStatus: "status", NotifyError: "error", NotifyRequestFailed: "request-failed",
	NotifyDestination: "destination", NotifyUserPart: "user-part", NotifyRegistered: "registered",
	NotifyDeregistered: "deregistered",
}

func (k NotifyKind) String() string {
	if n, ok := notifyNames[k]; ok {
		return n
	}
	return fmt.Sprintf("notify(%d)", uint8(k))
}

// Notify tells the application about a state change or delivers data.
// Which fields are set depends on Kind (see the NotifyKind constants).
type Notify struct {
	Kind           NotifyKind
	Assoc          AssocID
	RoutingContext uint32
	ASP, From      ASPState
	AS             ASState
	Request        Kind // NotifyRequestFailed
	Msg            *Message
	Count          int
	Destination    uint32    // NotifyDestination: point code
	DestState      DestState // NotifyDestination
	SSN            uint8     // NotifyDestination: subsystem, 0 for the point code
	User, Cause    uint16    // NotifyUserPart
	Status         uint32    // NotifyRequestFailed of REG/DEREG: the result status
	Reason         string
}

// ASPState is the state of an ASP (RFC 4666 section 4.3.1).
type ASPState uint8

// ASP states.
const (
	ASPDown ASPState = iota
	ASPInactive
	ASPActive
)

func (s ASPState) String() string {
	switch s {
	case ASPDown:
		return "ASP-DOWN"
	case ASPInactive:
		return "ASP-INACTIVE"
	case ASPActive:
		return "ASP-ACTIVE"
	}
	return fmt.Sprintf("asp-state(%d)", uint8(s))
}

// ASState is the state of an Application Server (RFC 4666 section 4.3.2).
type ASState uint8

// AS states.
const (
	ASDown ASState = iota
	ASInactive
	ASActive
	ASPending
)

func (s ASState) String() string {
	switch s {
	case ASDown:
		return "AS-DOWN"
	case ASInactive:
		return "AS-INACTIVE"
	case ASActive:
		return "AS-ACTIVE"
	case ASPending:
		return "AS-PENDING"
	}
	return fmt.Sprintf("as-state(%d)", uint8(s))
}

// ntfyInfo maps an AS state to the NTFY status information value.
func (s ASState) ntfyInfo() uint16 {
	switch s {
	case ASInactive:
		return StatusASInactive
	case ASActive:
		return StatusASActive
	case ASPending:
		return StatusASPending
	}
	return 0
}

// timers records the deadline of every armed timer so a stale TimerFired
// (cancelled or re-armed meanwhile) is recognised and ignored.
type timerSet map[TimerID]time.Time

func (t timerSet) set(out *[]Action, id TimerID, at time.Time) {
	t[id] = at
	*out = append(*out, SetTimer{ID: id, At: at})
}

func (t timerSet) cancel(out *[]Action, id TimerID) {
	if _, ok := t[id]; ok {
		delete(t, id)
		*out = append(*out, CancelTimer{ID: id})
	}
}

// fired reports whether a TimerFired for id is current, and disarms it.
func (t timerSet) fired(id TimerID, now time.Time) bool {
	at, ok := t[id]
	if !ok || now.Before(at) {
		return false
	}
	delete(t, id)
	return true
}

// newMsg builds a message of the core's protocol.
func fsmNewMsg(p Protocol, k Kind) *Message { return &Message{Protocol: p, Kind: k} }

// errMsg builds an ERR message. ERR has no INFO String parameter (RFC 4666
// and RFC 3868 section 3.8.1), so the codec would refuse one; the cause's
// bytes, which Diagnostic Info would carry, are the codec's, not the core's.
func fsmErrMsg(p Protocol, code ErrorCode, cause *Message, rcs []uint32) *Message {
	m := fsmNewMsg(p, KindERR)
	m.ErrorCode = code
	m.RoutingContexts = rcs
	if cause != nil {
		m.NetworkAppearance = cause.NetworkAppearance
	}
	return m
}

// checkKind returns the ERR code for a message kind neither M3UA nor SUA
// defines (RFC 4666 section 3.8.1: unsupported message class / type), or 0.
func fsmCheckKind(p Protocol, k Kind) ErrorCode {
	if _, ok := kindNames[k]; ok {
		switch k.Class() {
		case ClassTransfer:
			if p == SUA {
				return ErrUnsupportedMessageClass
			}
		case ClassCL, ClassCO:
			if p == M3UA {
				return ErrUnsupportedMessageClass
			}
		}
		return 0
	}
	switch k.Class() {
	case ClassMGMT, ClassSSNM, ClassASPSM, ClassASPTM, ClassRKM:
		return ErrUnsupportedMessageType
	case ClassTransfer:
		if p == M3UA {
			return ErrUnsupportedMessageType
		}
	case ClassCL, ClassCO:
		if p == SUA {
			return ErrUnsupportedMessageType
		}
	}
	return ErrUnsupportedMessageClass
}

// isTransfer reports whether k carries user traffic.
func fsmIsTransfer(k Kind) bool {
	switch k.Class() {
	case ClassTransfer, ClassCL, ClassCO:
		return true
	}
	return false
}

// uptr returns a pointer to a copy of v.
func fsmPtr[T any](v T) *T { return &v }
