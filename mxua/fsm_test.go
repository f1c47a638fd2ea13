package mxua

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/sigpool/sigpool/transport"
)

// The state-machine tests run every core on a fake clock: time only moves
// when a test advances it, and due timers fire in deadline order.

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

type stepper interface {
	Step(now time.Time, ev Event) []Action
}

// rig drives one core as a test peer would: it sends events, keeps the
// timers the core armed and collects its actions.
type rig struct {
	t        *testing.T
	c        stepper
	now      time.Time
	timerSet map[TimerID]time.Time
	out      []Action
}

func newRig(t *testing.T, c stepper) *rig {
	return &rig{t: t, c: c, now: t0, timerSet: map[TimerID]time.Time{}}
}

func (r *rig) step(ev Event) []Action {
	acts := r.c.Step(r.now, ev)
	for _, a := range acts {
		switch a := a.(type) {
		case SetTimer:
			r.timerSet[a.ID] = a.At
		case CancelTimer:
			delete(r.timerSet, a.ID)
		}
	}
	r.out = append(r.out, acts...)
	return acts
}

// advance moves the clock by d, firing due timers in order.
func (r *rig) advance(d time.Duration) {
	end := r.now.Add(d)
	for {
		id, at, ok := r.nextTimer(end)
		if !ok {
			break
		}
		delete(r.timerSet, id)
		r.now = at
		r.step(TimerFired{ID: id})
	}
	r.now = end
}

func (r *rig) nextTimer(end time.Time) (TimerID, time.Time, bool) {
	var best TimerID
	var bestAt time.Time
	found := false
	for id, at := range r.timerSet {
		if at.After(end) {
			continue
		}
		if !found || at.Before(bestAt) || at.Equal(bestAt) && fmt.Sprint(id) < fmt.Sprint(best) {
			best, bestAt, found = id, at, true
		}
	}
	return best, bestAt, found
}

// take returns the actions collected since the last take.
func (r *rig) take() []Action {
	out := r.out
	r.out = nil
	return out
}

// in delivers a message from the peer on assoc, stream 0.
func (r *rig) in(assoc AssocID, m *Message) []Action {
	return r.step(MessageIn{Assoc: assoc, Msg: m})
}

// sentTo returns the messages sent on an association.
func sentTo(acts []Action, assoc AssocID) []*Message {
	var out []*Message
	for _, a := range acts {
		if s, ok := a.(SendMessage); ok && s.Assoc == assoc {
			out = append(out, s.Msg)
		}
	}
	return out
}

func sendsOf(acts []Action) []SendMessage {
	var out []SendMessage
	for _, a := range acts {
		if s, ok := a.(SendMessage); ok {
			out = append(out, s)
		}
	}
	return out
}

func kindsOf(ms []*Message) []Kind {
	var out []Kind
	for _, m := range ms {
		out = append(out, m.Kind)
	}
	return out
}

func notifies(acts []Action, k NotifyKind) []Notify {
	var out []Notify
	for _, a := range acts {
		if n, ok := a.(Notify); ok && n.Kind == k {
			out = append(out, n)
		}
	}
	return out
}

func wantKinds(t *testing.T, got []*Message, want ...Kind) {
	t.Helper()
	if fmt.Sprint(kindsOf(got)) != fmt.Sprint(want) {
		t.Fatalf("sent %v, want %v", kindsOf(got), want)
	}
}

func wantErr(t *testing.T, m *Message, code ErrorCode) {
	t.Helper()
	if m.Kind != KindERR || m.ErrorCode != code {
		t.Fatalf("got %v (error code %#x), want ERR %#x", m.Kind, uint32(m.ErrorCode), uint32(code))
	}
}

func wantNtfy(t *testing.T, m *Message, typ, info uint16) {
	t.Helper()
	if m.Kind != KindNTFY || m.Status == nil || m.Status.Type != typ || m.Status.Info != info {
		t.Fatalf("got %v status %+v, want NTFY %d/%d", m.Kind, m.Status, typ, info)
	}
}

func mkMsg(k Kind) *Message { return &Message{Protocol: M3UA, Kind: k} }

func aspUp(id uint32) *Message {
	m := mkMsg(KindASPUP)
	m.ASPIdentifier = fsmPtr(id)
	return m
}

func aspAc(mode TrafficMode, rcs ...uint32) *Message {
	m := mkMsg(KindASPAC)
	m.TrafficMode = mode
	m.RoutingContexts = rcs
	return m
}

func aspIa(rcs ...uint32) *Message {
	m := mkMsg(KindASPIA)
	m.RoutingContexts = rcs
	return m
}

func mkData(opc, dpc uint32, si, sls uint8, payload ...byte) *Message {
	m := mkMsg(KindDATA)
	m.ProtocolData = &ProtocolData{OPC: opc, DPC: dpc, SI: si, SLS: sls, Payload: payload}
	return m
}

func carrierProfile(t *testing.T) transport.Profile {
	t.Helper()
	p, err := transport.LookupProfile("carrier")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// sgpRig returns an SGP with one AS (RC 10, DPC 100) in mode and its rig.
func sgpRig(t *testing.T, mode TrafficMode, mut ...func(*SGPConfig)) (*SGP, *rig) {
	t.Helper()
	cfg := SGPConfig{
		Protocol: M3UA,
		ASes: []ASConfig{{RoutingContext: 10, TrafficMode: mode, MinActive: 1,
			Keys: []RoutingKey{{DPC: fsmPtr(uint32(100))}}}},
	}
	for _, f := range mut {
		f(&cfg)
	}
	s, err := NewSGP(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, s)
	return s, r
}

// up brings the ASP on assoc to ASP-INACTIVE (id 0: no ASP Identifier).
func (r *rig) up(assoc AssocID, id uint32) {
	r.t.Helper()
	r.step(AssocUp{Assoc: assoc, Streams: 4})
	m := mkMsg(KindASPUP)
	if id != 0 {
		m.ASPIdentifier = fsmPtr(id)
	}
	got := sentTo(r.in(assoc, m), assoc)
	if len(got) == 0 || got[0].Kind != KindASPUPAck {
		r.t.Fatalf("ASP Up on %d: sent %v", assoc, kindsOf(got))
	}
}

// active brings the ASP on assoc to ASP-ACTIVE.
func (r *rig) active(assoc AssocID, mode TrafficMode, rcs ...uint32) {
	r.t.Helper()
	got := sentTo(r.in(assoc, aspAc(mode, rcs...)), assoc)
	if len(got) == 0 || got[0].Kind != KindASPACAck {
		r.t.Fatalf("ASP Active on %d: sent %v", assoc, kindsOf(got))
	}
}

// sortedAssocs lists the associations messages were sent on.
func sortedAssocs(acts []Action) []AssocID {
	seen := map[AssocID]bool{}
	for _, s := range sendsOf(acts) {
		seen[s.Assoc] = true
	}
	var out []AssocID
	for a := range seen {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// simNet connects an SGP (node 0) and ASPs (node = their association) with
// lossless, zero-delay associations on one fake clock, as etcd's raft
// tests connect their nodes.
type simNet struct {
	t         *testing.T
	now       time.Time
	sgp       *SGP
	asps      map[AssocID]*ASP
	connected map[AssocID]bool
	timerSet  map[simTimer]time.Time
	queue     []simItem
	delivered map[AssocID][]*Message
	onNotify  func(node AssocID, n Notify)
}

type simTimer struct {
	node AssocID
	id   TimerID
}

type simItem struct {
	node AssocID
	ev   Event
}

func newSimNet(t *testing.T, sgp *SGP) *simNet {
	return &simNet{t: t, now: t0, sgp: sgp, asps: map[AssocID]*ASP{}, connected: map[AssocID]bool{},
		timerSet: map[simTimer]time.Time{}, delivered: map[AssocID][]*Message{}}
}

func (n *simNet) addASP(id AssocID, a *ASP) {
	n.asps[id] = a
	n.connected[id] = true
	n.input(0, AssocUp{Assoc: id, Streams: 8})
	n.input(id, AssocUp{Assoc: id, Streams: 8})
}

func (n *simNet) input(node AssocID, ev Event) { n.queue = append(n.queue, simItem{node, ev}) }

func (n *simNet) down(id AssocID) {
	if !n.connected[id] {
		return
	}
	n.connected[id] = false
	n.input(0, AssocDown{Assoc: id})
	n.input(id, AssocDown{Assoc: id})
}

func (n *simNet) drain() {
	for len(n.queue) > 0 {
		it := n.queue[0]
		n.queue = n.queue[1:]
		var acts []Action
		if it.node == 0 {
			acts = n.sgp.Step(n.now, it.ev)
		} else {
			acts = n.asps[it.node].Step(n.now, it.ev)
		}
		for _, a := range acts {
			switch a := a.(type) {
			case SendMessage:
				if !n.connected[a.Assoc] {
					continue
				}
				to := AssocID(0)
				if it.node == 0 {
					to = a.Assoc
				}
				n.input(to, MessageIn{Assoc: a.Assoc, Stream: a.Stream, Msg: a.Msg})
			case SetTimer:
				n.timerSet[simTimer{it.node, a.ID}] = a.At
			case CancelTimer:
				delete(n.timerSet, simTimer{it.node, a.ID})
			case AbortAssoc:
				n.down(a.Assoc)
			case Notify:
				if a.Kind == NotifyDeliver && it.node != 0 {
					n.delivered[it.node] = append(n.delivered[it.node], a.Msg)
				}
				if n.onNotify != nil {
					n.onNotify(it.node, a)
				}
			}
		}
	}
}

// run processes queued events, then lets d of simulated time pass.
func (n *simNet) run(d time.Duration) {
	end := n.now.Add(d)
	n.drain()
	for {
		var best simTimer
		var bestAt time.Time
		found := false
		for k, at := range n.timerSet {
			if !at.After(end) && (!found || at.Before(bestAt) || at.Equal(bestAt) && fmt.Sprint(k) < fmt.Sprint(best)) {
				best, bestAt, found = k, at, true
			}
		}
		if !found {
			break
		}
		delete(n.timerSet, best)
		n.now = bestAt
		n.input(best.node, TimerFired{ID: best.id})
		n.drain()
	}
	n.now = end
}
