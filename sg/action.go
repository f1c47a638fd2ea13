package sg

import (
	"fmt"
	"time"

	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/wire"
)

// ActionKind says what an Action asks the driver to do.
type ActionKind uint8

// Actions of the core. One struct type with a kind, rather than one type
// per action behind an interface, keeps the per-message path free of
// allocations: the core appends to a slice it reuses.
const (
	// ActSendPE: send Msg to the GWC on downstream association Assoc of
	// protocol Proto (SGPServer.SendTo).
	ActSendPE ActionKind = iota + 1
	// ActSendUpstream: send Msg toward the SS7 side: to the upstream ASP
	// on Assoc of protocol Proto (SendTo), or, Assoc 0, by routing key
	// (SGPServer.Send).
	ActSendUpstream
	// ActCookieEcho: send Cookie as an ASAP Cookie Echo on the downstream
	// association Assoc, then report it with Core.EchoDone(Key).
	ActCookieEcho
	// ActDialPE: open an association to Element of pool Pool, then report
	// Core.PEConnected or Core.DialFailed.
	ActDialPE
	// ActClosePE: close the downstream association Assoc (its PE left the
	// pool).
	ActClosePE
	// ActReportUnreachable: tell the registrar PE of Pool is unreachable
	// (ASAP Endpoint Unreachable).
	ActReportUnreachable
	// ActSetDestination: announce Dest to the upstream ASPs (DUNA, DAVA).
	ActSetDestination
	// ActFailover: a note: PE of Pool was lost; Count bindings moved,
	// Lost messages it had not answered, Duration from the oldest of them
	// to the move (0 when nothing was outstanding). Reason says why.
	ActFailover
	// ActDiscard: a note: Count messages (Msg when one) were dropped for
	// Reason.
	ActDiscard
)

var actionNames = [...]string{
	ActSendPE: "send-pe", ActSendUpstream: "send-upstream", ActCookieEcho: "cookie-echo",
	ActDialPE: "dial-pe", ActClosePE: "close-pe", ActReportUnreachable: "report-unreachable",
	ActSetDestination: "set-destination", ActFailover: "failover", ActDiscard: "discard",
}

func (k ActionKind) String() string {
	if int(k) < len(actionNames) && actionNames[k] != "" {
		return actionNames[k]
	}
	return fmt.Sprintf("action(%d)", uint8(k))
}

// Action is one output of the core; which fields are set depends on Kind.
type Action struct {
	Kind     ActionKind
	Proto    mxua.Protocol
	Assoc    mxua.AssocID
	Msg      *mxua.Message
	Pool     string
	PE       wire.PEIdentifier
	Element  *wire.PoolElement
	Cookie   wire.Cookie
	Key      mxua.BindingKey
	Dest     mxua.Destination
	Duration time.Duration
	Count    int
	Lost     uint64
	Resent   uint64
	Reason   string
}

func (a Action) String() string {
	switch a.Kind {
	case ActSendPE, ActSendUpstream, ActClosePE:
		kind := ""
		if a.Msg != nil {
			kind = " " + a.Msg.Kind.String()
		}
		return fmt.Sprintf("%v %v assoc=%d%s", a.Kind, a.Proto, a.Assoc, kind)
	case ActCookieEcho:
		return fmt.Sprintf("%v assoc=%d %v", a.Kind, a.Assoc, a.Key)
	case ActDialPE, ActReportUnreachable:
		return fmt.Sprintf("%v %s %v", a.Kind, a.Pool, a.PE)
	case ActSetDestination:
		return fmt.Sprintf("%v pc=%d %v", a.Kind, a.Dest.PointCode, a.Dest.State)
	case ActFailover:
		return fmt.Sprintf("%v %s %v moved=%d lost=%d in %v (%s)", a.Kind, a.Pool, a.PE, a.Count, a.Lost, a.Duration, a.Reason)
	case ActDiscard:
		return fmt.Sprintf("%v %d: %s", a.Kind, a.Count, a.Reason)
	}
	return a.Kind.String()
}
