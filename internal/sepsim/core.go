package sepsim

import (
	"errors"
	"fmt"
	"time"

	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/mxua/sccp"
)

// CoreConfig describes the simulated signalling end point.
type CoreConfig struct {
	// Protocol is mxua.M3UA (default: ISUP in DATA SI=5, TCAP in SCCP UDT
	// in DATA SI=3) or mxua.SUA (TCAP in CLDT; no ISUP).
	Protocol mxua.Protocol
	// OPC is the simulator's point code, DPC the far end's (the pool
	// behind the SG). ITU 14-bit point codes: SCCP addresses carry them.
	OPC, DPC uint32
	// NI is the network indicator (default 2, national).
	NI uint8
	// RoutingContext is put in every DATA/CLDT when not zero.
	RoutingContext uint32
	// CICFirst..CICLast is the circuit range calls seize (default 1..4095).
	CICFirst, CICLast uint16
	// CalledDigits is the IAM's called party number (default 4930123456).
	CalledDigits string
	// HoldTime is how long an answered call lasts before the simulator
	// sends REL; zero releases at once on ANM.
	HoldTime time.Duration
	// AnswerTimeout bounds every wait for an answer (default 5 s).
	AnswerTimeout time.Duration
	// ContinueReplies is how many of the far end's TCAP Continues the
	// simulator answers with its own Continue; the one after that is
	// answered with End. Zero ends a dialogue on the first Continue.
	ContinueReplies int
	// CallingSSN and CalledSSN are the subsystems of the SCCP calling and
	// called party addresses of TCAP traffic (defaults 8 MSC, 6 HLR).
	CallingSSN, CalledSSN uint8
	// FirstOTID is the first TCAP OTID used (default 1); OTIDs then count
	// up, skipping those in use.
	FirstOTID uint32
	// Records bounds how many per-call/dialogue records Report returns
	// (0: none).
	Records int
}

func (c *CoreConfig) defaults() error {
	if c.Protocol == 0 {
		c.Protocol = mxua.M3UA
	}
	if c.Protocol != mxua.M3UA && c.Protocol != mxua.SUA {
		return fmt.Errorf("sepsim: protocol %v: want M3UA or SUA", c.Protocol)
	}
	if c.OPC > 0x3fff || c.DPC > 0x3fff {
		return fmt.Errorf("sepsim: OPC %d / DPC %d: SCCP addresses carry ITU 14-bit point codes (0-16383)", c.OPC, c.DPC)
	}
	if c.NI == 0 {
		c.NI = 2
	}
	if c.CICFirst == 0 && c.CICLast == 0 {
		c.CICFirst, c.CICLast = 1, 4095
	}
	if c.CICLast < c.CICFirst || c.CICLast > 0x0fff {
		return fmt.Errorf("sepsim: CIC range %d-%d: want first <= last <= 4095", c.CICFirst, c.CICLast)
	}
	if c.CalledDigits == "" {
		c.CalledDigits = "4930123456"
	}
	if c.AnswerTimeout <= 0 {
		c.AnswerTimeout = 5 * time.Second
	}
	if c.HoldTime < 0 || c.ContinueReplies < 0 || c.Records < 0 {
		return errors.New("sepsim: negative hold time, continue replies or records")
	}
	if c.CallingSSN == 0 {
		c.CallingSSN = 8
	}
	if c.CalledSSN == 0 {
		c.CalledSSN = 6
	}
	if c.FirstOTID == 0 {
		c.FirstOTID = 1
	}
	return nil
}

// Core is the simulator's sans-I/O state: the calls per circuit and the
// dialogues per OTID, their timers and what was observed. Events come in
// with the current time; messages to send go out as return values. It is
// not safe for concurrent use.
type Core struct {
	cfg     CoreConfig
	started time.Time
	timers  timerHeap
	rec     recorder
	calls   *circuits
	dlgs    *dialogues
	rc      []uint32

	isupOut []isupOut
	tcapOut []tcapOut

	// blocks hold the messages handed out since the last Recycle (the
	// first used of them); replies is Receive's and Fire's result.
	blocks  []*msgBlock
	used    int
	replies []*mxua.Message
}

// msgBlock is the storage of one message the core hands out, reused after
// Recycle, so that a steady load allocates nothing here per message.
type msgBlock struct {
	m        mxua.Message
	pd       mxua.ProtocolData
	sua      mxua.SUAData
	src, dst mxua.SCCPAddress
	opc, dpc uint32
	ssnSrc   uint8
	ssnDst   uint8
	pcg, pcd uint16
	payload  [96]byte // UDT, TCAP or ISUP bytes; longer ones are allocated
}

// block returns a zeroed message block.
func (c *Core) block() *msgBlock {
	if c.used == len(c.blocks) {
		c.blocks = append(c.blocks, new(msgBlock))
	} else {
		*c.blocks[c.used] = msgBlock{}
	}
	c.used++
	return c.blocks[c.used-1]
}

// Recycle lets the core reuse the storage of every message it returned
// so far: the caller has sent them (and holds none).
func (c *Core) Recycle() { c.used = 0 }

// NewCore returns a core whose report counts time from now.
func NewCore(cfg CoreConfig, now time.Time) (*Core, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	c := &Core{cfg: cfg, started: now}
	c.rec.maxRecords = cfg.Records
	c.calls = newCircuits(cfg.CICFirst, cfg.CICLast, cfg.HoldTime, cfg.AnswerTimeout, cfg.CalledDigits, &c.rec, &c.timers)
	c.dlgs = newDialogues(cfg.FirstOTID, cfg.ContinueReplies, cfg.AnswerTimeout, &c.rec, &c.timers)
	if cfg.RoutingContext != 0 {
		c.rc = []uint32{cfg.RoutingContext}
	}
	return c, nil
}

// ErrNoISUPOverSUA: SUA carries SCCP users only.
var ErrNoISUPOverSUA = errors.New("sepsim: ISUP calls need M3UA (SUA carries SCCP traffic only)")

// Messages returned by StartCall, StartDialogue, StartRaw, Receive and
// Fire stay valid until Recycle.

// StartCall seizes a free circuit and returns its IAM; ErrNoFreeCircuit
// when the range is busy.
func (c *Core) StartCall(now time.Time) (*mxua.Message, error) {
	if c.cfg.Protocol != mxua.M3UA {
		return nil, ErrNoISUPOverSUA
	}
	out, err := c.calls.start(now, c.isupOut[:0])
	if err != nil {
		return nil, err
	}
	return c.isupMessage(out[0]), nil
}

// StartDialogue begins a TCAP dialogue and returns its Begin.
func (c *Core) StartDialogue(now time.Time) *mxua.Message {
	return c.tcapMessage(c.dlgs.start(now, false, c.tcapOut[:0])[0])
}

// StartRaw sends one request of the raw load mode: a TCAP Begin that any
// answer completes.
func (c *Core) StartRaw(now time.Time) *mxua.Message {
	return c.tcapMessage(c.dlgs.start(now, true, c.tcapOut[:0])[0])
}

// Receive handles a user message from the SG and returns the simulator's
// replies. An error reports a message that could not be read; it is
// counted as malformed and changes no state.
func (c *Core) Receive(now time.Time, m *mxua.Message) ([]*mxua.Message, error) {
	c.rec.received++
	var err error
	switch {
	case m == nil:
		c.rec.malformed++
		return nil, errors.New("sepsim: nil message")
	case m.Kind == mxua.KindDATA && m.ProtocolData != nil:
		pd := m.ProtocolData
		switch pd.SI {
		case 5:
			c.isupOut, err = c.calls.receive(now, pd.Payload, c.isupOut[:0])
		case 3:
			s, perr := sccp.Peek(pd.Payload)
			if perr != nil {
				c.rec.malformed++
				return nil, fmt.Errorf("sepsim: SCCP in DATA from %d: %w", pd.OPC, perr)
			}
			if s.Type != sccp.MsgUDT && s.Type != sccp.MsgXUDT {
				c.rec.unexpected++ // UDTS/XUDTS: a message returned on error
				return nil, nil
			}
			c.tcapOut, err = c.dlgs.receive(now, s.Data, c.tcapOut[:0])
		default:
			c.rec.unexpected++
			return nil, nil
		}
	case m.Kind == mxua.KindCLDT && m.SUA != nil:
		c.tcapOut, err = c.dlgs.receive(now, m.SUA.Data, c.tcapOut[:0])
	default:
		c.rec.unexpected++
		return nil, nil
	}
	return c.drain(), err
}

// Fire handles the timers due at now (hold times ending, answers timing
// out) and returns what they send.
func (c *Core) Fire(now time.Time) []*mxua.Message {
	for {
		t, ok := c.timers.due(now)
		if !ok {
			break
		}
		switch t.kind {
		case timerCall:
			c.isupOut = c.calls.fire(now, t, c.isupOut)
		case timerDialogue:
			c.dlgs.fire(now, t)
		}
	}
	return c.drain()
}

// NextTimer returns the earliest pending deadline (it may be stale: Fire
// then sends nothing).
func (c *Core) NextTimer() (time.Time, bool) { return c.timers.next() }

// Mark notes a moment (a fault injected, say) that Report measures the
// waits and losses after.
func (c *Core) Mark(now time.Time) { c.rec.mark = now }

// TakeInterval returns the answers received and their latencies since
// the previous call (a timeline sample) and starts a new interval.
func (c *Core) TakeInterval() (answered int, latency LatencySummary) { return c.rec.takeInterval() }

// Active returns the calls, dialogues and raw requests in progress.
func (c *Core) Active() (calls, dialogues, raw int) {
	return c.rec.calls.Active, c.rec.dialogues.Active, c.rec.rawCounts.Active
}

// Report returns what was observed from the core's start until now.
func (c *Core) Report(now time.Time) Report {
	outstanding := c.calls.outstanding() + len(c.dlgs.active)
	r := c.rec.report(outstanding)
	r.Elapsed = now.Sub(c.started)
	return r
}

// drain turns the pending outputs into messages; the slice is reused by
// the next call.
func (c *Core) drain() []*mxua.Message {
	if len(c.isupOut)+len(c.tcapOut) == 0 {
		return nil
	}
	out := c.replies[:0]
	for _, o := range c.isupOut {
		out = append(out, c.isupMessage(o))
	}
	for _, o := range c.tcapOut {
		out = append(out, c.tcapMessage(o))
	}
	c.isupOut, c.tcapOut = c.isupOut[:0], c.tcapOut[:0]
	c.replies = out
	return out
}

func (c *Core) isupMessage(o isupOut) *mxua.Message {
	b := c.block()
	b.pd = mxua.ProtocolData{OPC: c.cfg.OPC, DPC: c.cfg.DPC, SI: 5, NI: c.cfg.NI,
		SLS: uint8(o.cic & 0x0f), Payload: append(b.payload[:0], o.payload...)}
	b.m = mxua.Message{Protocol: mxua.M3UA, Kind: mxua.KindDATA, RoutingContexts: c.rc, ProtocolData: &b.pd}
	return &b.m
}

func (c *Core) tcapMessage(o tcapOut) *mxua.Message {
	b := c.block()
	b.opc, b.dpc = c.cfg.OPC, c.cfg.DPC
	b.ssnSrc, b.ssnDst = c.cfg.CallingSSN, c.cfg.CalledSSN
	if c.cfg.Protocol == mxua.SUA {
		// SUA addresses routed on SSN + PC (RFC 3868 3.10.2).
		b.src = mxua.SCCPAddress{RoutingIndicator: 2, AddressIndicator: 3, PointCode: &b.opc, SSN: &b.ssnSrc}
		b.dst = mxua.SCCPAddress{RoutingIndicator: 2, AddressIndicator: 3, PointCode: &b.dpc, SSN: &b.ssnDst}
		b.sua = mxua.SUAData{SequenceControl: o.tid & 0xff, Source: &b.src, Destination: &b.dst,
			Data: append(b.payload[:0], o.payload...)}
		b.m = mxua.Message{Protocol: mxua.SUA, Kind: mxua.KindCLDT, RoutingContexts: c.rc, SUA: &b.sua}
		return &b.m
	}
	b.pcg, b.pcd = uint16(b.opc), uint16(b.dpc)
	udt := sccp.UDT{
		CalledParty:  sccp.Address{RoutingIndicator: sccp.RouteOnSSN, PointCode: &b.pcd, SSN: &b.ssnDst},
		CallingParty: sccp.Address{RoutingIndicator: sccp.RouteOnSSN, PointCode: &b.pcg, SSN: &b.ssnSrc},
		Data:         o.payload,
	}
	p, _ := udt.AppendTo(b.payload[:0]) // 14-bit PCs checked at NewCore
	b.pd = mxua.ProtocolData{OPC: b.opc, DPC: b.dpc, SI: 3, NI: c.cfg.NI, SLS: uint8(o.tid & 0x0f), Payload: p}
	b.m = mxua.Message{Protocol: mxua.M3UA, Kind: mxua.KindDATA, RoutingContexts: c.rc, ProtocolData: &b.pd}
	return &b.m
}
