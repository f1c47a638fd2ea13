package gwc

import (
	"container/heap"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/sigpool/sigpool/mxua"
)

// Defaults of AgentConfig.
const (
	// DefaultReleaseTimeout is Q.764 T1 (15-60 s): how long a REL waits
	// for its RLC before it is sent again.
	DefaultReleaseTimeout = 15 * time.Second
	// DefaultReleaseAttempts is how many RELs are sent before the circuit
	// is freed without an RLC.
	DefaultReleaseAttempts = 4
	// DefaultDialogueIdle is how long a TCAP dialogue may wait for the SS7
	// side's next message before it is dropped.
	DefaultDialogueIdle = time.Minute
)

// AgentConfig configures a CallAgent.
type AgentConfig struct {
	// PointCode is the OPC of M3UA answers; zero answers from the DPC each
	// request was sent to.
	PointCode uint32
	// AnswerDelay is the time from IAM (ACM sent at once) to ANM; zero
	// sends ANM right behind ACM.
	AnswerDelay time.Duration
	// HoldTime, when positive, has the GWC release an answered call (REL,
	// cause normal clearing) that long after ANM.
	HoldTime time.Duration
	// TCAPContinues is how many Continues answer a dialogue before its End:
	// zero answers Begin with End.
	TCAPContinues int
	// ReleaseTimeout is Q.764 T1 (DefaultReleaseTimeout when zero) and
	// ReleaseAttempts how many RELs go out before the circuit is freed
	// anyway (DefaultReleaseAttempts when zero).
	ReleaseTimeout  time.Duration
	ReleaseAttempts int
	// DialogueIdle drops a dialogue the SS7 side has not continued for that
	// long (DefaultDialogueIdle when zero).
	DialogueIdle time.Duration
	// Seed seeds the pool-side TCAP transaction IDs; zero draws one.
	Seed uint64
}

func (c *AgentConfig) validate() error {
	switch {
	case c.AnswerDelay < 0:
		return fmt.Errorf("gwc: answer delay %v is negative", c.AnswerDelay)
	case c.HoldTime < 0:
		return fmt.Errorf("gwc: hold time %v is negative", c.HoldTime)
	case c.TCAPContinues < 0 || c.TCAPContinues > 0xffff:
		return fmt.Errorf("gwc: TCAP continues %d: want 0..65535", c.TCAPContinues)
	case c.ReleaseTimeout < 0 || c.ReleaseAttempts < 0 || c.DialogueIdle < 0:
		return errors.New("gwc: release timeout, release attempts and dialogue idle time must not be negative")
	case c.PointCode > 0xffffff:
		return fmt.Errorf("gwc: point code %d does not fit 24 bits", c.PointCode)
	}
	return nil
}

// Peer names the SG association a message came from; answers go back on it.
// The driver chooses the values; zero is "any".
type Peer uint64

// Action is an output of the call agent: Send, SendCookie or Note.
type Action interface{ isAction() }

// Send asks the driver to send Msg to the SG on Peer (or, if that
// association is gone, on any other).
type Send struct {
	Peer Peer
	Msg  *mxua.Message
}

// SendCookie asks the driver to hand the SG a Cookie on Peer: the call's
// latest state, or its end (empty State).
type SendCookie struct {
	Peer   Peer
	Cookie mxua.BindingCookie
}

// NoteKind says what a Note reports.
type NoteKind uint8

// Note kinds.
const (
	NoteCallStarted NoteKind = iota + 1
	NoteCallAnswered
	NoteCallEnded
	NoteDialogueStarted
	NoteDialogueEnded
	NoteRestored
	// NoteUnexpected: a message that does not fit the call's state; the
	// agent answered it as Q.764/Q.774 say, or dropped it.
	NoteUnexpected
	// NoteMalformed: a message that could not be decoded; dropped.
	NoteMalformed
)

var noteNames = map[NoteKind]string{
	NoteCallStarted: "call started", NoteCallAnswered: "call answered", NoteCallEnded: "call ended",
	NoteDialogueStarted: "dialogue started", NoteDialogueEnded: "dialogue ended", NoteRestored: "restored",
	NoteUnexpected: "unexpected message", NoteMalformed: "malformed message",
}

func (k NoteKind) String() string {
	if n, ok := noteNames[k]; ok {
		return n
	}
	return fmt.Sprintf("note(%d)", uint8(k))
}

// Note reports what happened, for logs.
type Note struct {
	Kind   NoteKind
	Key    mxua.BindingKey
	Detail string
}

func (Send) isAction()       {}
func (SendCookie) isAction() {}
func (Note) isAction()       {}

// AgentStats counts what the call agent has done.
type AgentStats struct {
	ActiveCalls, ActiveDialogues int
	CallsStarted, CallsAnswered  uint64
	// CallsCompleted counts calls that ended (RLC sent or received, or the
	// release given up); DialoguesCompleted dialogues that ended.
	CallsCompleted                       uint64
	DialoguesStarted, DialoguesCompleted uint64
	// CallsRestored and DialoguesRestored count Restore successes.
	CallsRestored, DialoguesRestored uint64
	CookiesProduced                  uint64
	Unexpected, Malformed            uint64
	// CallsPerCIC counts the calls (IAMs accepted) per circuit code.
	CallsPerCIC map[uint16]uint64
}

// CallAgent is the GWC's call handling: ISUP circuits and TCAP dialogues
// keyed by their bindings. It is not safe for concurrent use.
type CallAgent struct {
	cfg       AgentConfig
	circuits  map[mxua.BindingKey]*call
	dialogues map[mxua.BindingKey]*dialogue
	byPoolTID map[poolTIDKey]*dialogue
	tids      map[uint32]int // pool-side TIDs in use (restored dialogues may share one)
	rng       *rand.Rand
	timers    timerHeap
	stats     AgentStats
	scratch   []byte // an answer's TCAP bytes, until wrapped
}

// NewCallAgent returns an idle call agent.
func NewCallAgent(cfg AgentConfig) (*CallAgent, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.ReleaseTimeout == 0 {
		cfg.ReleaseTimeout = DefaultReleaseTimeout
	}
	if cfg.ReleaseAttempts == 0 {
		cfg.ReleaseAttempts = DefaultReleaseAttempts
	}
	if cfg.DialogueIdle == 0 {
		cfg.DialogueIdle = DefaultDialogueIdle
	}
	seed := cfg.Seed
	for seed == 0 {
		seed = rand.Uint64()
	}
	return &CallAgent{
		cfg:       cfg,
		circuits:  map[mxua.BindingKey]*call{},
		dialogues: map[mxua.BindingKey]*dialogue{},
		byPoolTID: map[poolTIDKey]*dialogue{},
		tids:      map[uint32]int{},
		rng:       rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		stats:     AgentStats{CallsPerCIC: map[uint16]uint64{}},
	}, nil
}

// Config returns the configuration in effect (defaults filled in).
func (a *CallAgent) Config() AgentConfig { return a.cfg }

// Active returns the calls and dialogues in progress.
func (a *CallAgent) Active() int { return len(a.circuits) + len(a.dialogues) }

// Stats returns a copy of the counters.
func (a *CallAgent) Stats() AgentStats {
	s := a.stats
	s.ActiveCalls, s.ActiveDialogues = len(a.circuits), len(a.dialogues)
	s.CallsPerCIC = make(map[uint16]uint64, len(a.stats.CallsPerCIC))
	for k, v := range a.stats.CallsPerCIC {
		s.CallsPerCIC[k] = v
	}
	return s
}

// Receive handles one message the SG delivered from the SS7 side. Messages
// the agent does not serve (other user parts, SCCP management, SUA
// connection-oriented traffic) are dropped with a Note.
func (a *CallAgent) Receive(now time.Time, peer Peer, m *mxua.Message) []Action {
	out := make([]Action, 0, 4) // an answer, its notes and cookie: one allocation
	if m == nil {
		return a.malformed(out, mxua.BindingKey{}, "nil message")
	}
	b, err := mxua.BindingOf(m, mxua.FromSS7)
	if err != nil {
		return a.malformed(out, mxua.BindingKey{}, err.Error())
	}
	switch {
	case m.Protocol == mxua.M3UA && m.Kind == mxua.KindDATA && m.ProtocolData.SI&0x0f == siISUP:
		return a.isup(out, now, peer, m, b)
	case m.Protocol == mxua.M3UA && m.Kind == mxua.KindDATA && m.ProtocolData.SI&0x0f == siSCCP && b.Kind == mxua.BindingTransaction:
		return a.sccpTCAP(out, now, peer, m, b)
	case m.Protocol == mxua.SUA && m.Kind == mxua.KindCLDT && b.Kind == mxua.BindingTransaction:
		return a.suaTCAP(out, now, peer, m, b)
	}
	k, _ := b.Key()
	return a.unexpected(out, k, fmt.Sprintf("%v %v: not ISUP or TCAP for this GWC", m.Protocol, m.Kind))
}

// Service indicators (Q.704 14.2.1).
const (
	siSCCP = 3
	siISUP = 5
)

func (a *CallAgent) malformed(out []Action, k mxua.BindingKey, detail string) []Action {
	a.stats.Malformed++
	return append(out, Note{Kind: NoteMalformed, Key: k, Detail: detail})
}

func (a *CallAgent) unexpected(out []Action, k mxua.BindingKey, detail string) []Action {
	a.stats.Unexpected++
	return append(out, Note{Kind: NoteUnexpected, Key: k, Detail: detail})
}

// Restore takes over a call or dialogue from a Cookie Echo: the SG lost the
// GWC that sent the cookie and hands its binding here before any of its
// messages. A cookie with empty State is a finished call: nothing to do.
// A restored binding replaces a local one of the same key (the SG's cookie
// is the latest word). Deadlines carried in the state keep running from
// when the cookie was made, so a restored answered call is still released
// at its hold time.
func (a *CallAgent) Restore(now time.Time, peer Peer, c mxua.BindingCookie) ([]Action, error) {
	if len(c.State) == 0 {
		return nil, nil
	}
	st, err := parseState(c.State)
	if err != nil {
		return nil, fmt.Errorf("gwc: restore %v: %w", c.Key, err)
	}
	base := st.base(now)
	switch s := st.(type) {
	case *circuitState:
		if c.Key.Kind != mxua.BindingCircuit {
			return nil, fmt.Errorf("gwc: restore %v: circuit state under a %v key", c.Key, c.Key.Kind)
		}
		if uint32(s.CIC) != c.Key.ID {
			return nil, fmt.Errorf("gwc: restore %v: state's CIC %d does not match the key", c.Key, s.CIC)
		}
		if old := a.circuits[c.Key]; old != nil {
			a.dropCall(old)
		}
		cl := s.call(c.Key, base)
		cl.peer, cl.announced = peer, true
		a.circuits[c.Key] = cl
		a.arm(cl.due, timerCall, c.Key, &cl.gen)
		a.stats.CallsRestored++
	case *dialogueState:
		if c.Key.Kind != mxua.BindingTransaction {
			return nil, fmt.Errorf("gwc: restore %v: dialogue state under a %v key", c.Key, c.Key.Kind)
		}
		if s.SS7TID.Uint32() != c.Key.ID {
			return nil, fmt.Errorf("gwc: restore %v: state's SS7-side TID %v does not match the key", c.Key, s.SS7TID)
		}
		if old := a.dialogues[c.Key]; old != nil {
			a.dropDialogue(old)
		}
		pk := poolTIDKey{c.Key.SS7PC, c.Key.PoolPC, s.PoolTID}
		if old := a.byPoolTID[pk]; old != nil {
			a.dropDialogue(old)
		}
		d := &dialogue{key: c.Key, ss7TID: s.SS7TID, poolTID: s.PoolTID, sent: int(s.Sent), limit: int(s.Limit), peer: peer, announced: true}
		a.addDialogue(d)
		d.due = now.Add(a.cfg.DialogueIdle)
		a.arm(d.due, timerDialogue, c.Key, &d.gen)
		a.stats.DialoguesRestored++
	}
	return []Action{Note{Kind: NoteRestored, Key: c.Key}}, nil
}

// NextDeadline returns when Tick must next be called (zero: no deadline).
func (a *CallAgent) NextDeadline() time.Time {
	for len(a.timers) > 0 {
		t := a.timers[0]
		if a.live(t) {
			return t.at
		}
		heap.Pop(&a.timers) // stranded by a state change
	}
	return time.Time{}
}

// Tick fires every deadline due at now.
func (a *CallAgent) Tick(now time.Time) []Action {
	var out []Action
	for len(a.timers) > 0 && !a.timers[0].at.After(now) {
		t := heap.Pop(&a.timers).(timer)
		if !a.live(t) {
			continue
		}
		switch t.kind {
		case timerCall:
			out = a.callTimer(out, now, a.circuits[t.key])
		case timerDialogue:
			d := a.dialogues[t.key]
			a.dropDialogue(d)
			a.stats.DialoguesCompleted++
			out = append(out, Note{Kind: NoteDialogueEnded, Key: d.key, Detail: "idle timeout"})
			out = a.finishedCookie(out, d.peer, d.key, d.announced)
		}
	}
	return out
}

// live reports whether a timer still belongs to its call's current state.
func (a *CallAgent) live(t timer) bool {
	switch t.kind {
	case timerCall:
		c := a.circuits[t.key]
		return c != nil && c.gen == t.gen && !c.due.IsZero()
	case timerDialogue:
		d := a.dialogues[t.key]
		return d != nil && d.gen == t.gen
	}
	return false
}

// arm schedules a deadline for the binding, stranding its earlier one.
func (a *CallAgent) arm(at time.Time, kind timerKind, key mxua.BindingKey, gen *uint64) {
	*gen++
	if at.IsZero() {
		return
	}
	heap.Push(&a.timers, timer{at: at, kind: kind, key: key, gen: *gen})
}

// cookie appends the binding's Cookie.
func (a *CallAgent) cookie(out []Action, peer Peer, key mxua.BindingKey, state []byte) []Action {
	a.stats.CookiesProduced++
	return append(out, SendCookie{Peer: peer, Cookie: mxua.BindingCookie{Key: key, State: state}})
}

// finishedCookie tells the SG a binding it holds a cookie for has ended.
// Bindings that never had a cookie (a Begin answered by End) need none.
func (a *CallAgent) finishedCookie(out []Action, peer Peer, key mxua.BindingKey, announced bool) []Action {
	if !announced {
		return out
	}
	return a.cookie(out, peer, key, nil)
}

type timerKind uint8

const (
	timerCall timerKind = iota + 1
	timerDialogue
)

// timer is one deadline. Timers are never removed: a state change bumps the
// binding's generation and strands the old entry.
type timer struct {
	at   time.Time
	kind timerKind
	key  mxua.BindingKey
	gen  uint64
}

type timerHeap []timer

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)        { *h = append(*h, x.(timer)) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}
