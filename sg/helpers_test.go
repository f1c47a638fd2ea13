package sg

import (
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/mxua/isup"
	"github.com/sigpool/sigpool/mxua/sccp"
	"github.com/sigpool/sigpool/mxua/tcap"
	"github.com/sigpool/sigpool/wire"
)

// Point codes of the tests: the SS7-side node and the pool.
const (
	tSS7PC  = 1
	tPoolPC = 2
	tPool   = "gwc"
)

var t0 = time.Unix(1_700_000_000, 0)

// isupData is an M3UA DATA with an ISUP message of type typ on cic.
func isupData(d mxua.Direction, cic uint16, typ isup.MessageType) *mxua.Message {
	opc, dpc := uint32(tSS7PC), uint32(tPoolPC)
	if d == mxua.FromPool {
		opc, dpc = dpc, opc
	}
	return &mxua.Message{Protocol: mxua.M3UA, Kind: mxua.KindDATA, RoutingContexts: []uint32{7},
		ProtocolData: &mxua.ProtocolData{OPC: opc, DPC: dpc, SI: 5, NI: 2, SLS: uint8(cic & 0x0f),
			Payload: []byte{byte(cic), byte(cic >> 8), byte(typ), 0, 0}}}
}

// tcapData is an M3UA DATA carrying a SCCP UDT with a TCAP message.
func tcapData(t testing.TB, d mxua.Direction, typ tcap.MessageType, otid, dtid uint32) *mxua.Message {
	t.Helper()
	tm := &tcap.Message{Type: typ, Components: []byte{0xa1, 0x03, 0x02, 0x01, 0x01}}
	if otid != 0 {
		tm.OTID = tcap.TIDUint32(otid)
	}
	if dtid != 0 {
		tm.DTID = tcap.TIDUint32(dtid)
	}
	if typ == tcap.Abort {
		tm.Components = nil
	}
	data, err := tcap.Marshal(tm)
	if err != nil {
		t.Fatal(err)
	}
	opc, dpc := uint16(tSS7PC), uint16(tPoolPC)
	if d == mxua.FromPool {
		opc, dpc = dpc, opc
	}
	ssnCd, ssnCg := uint8(6), uint8(8)
	u := &sccp.UDT{
		CalledParty:  sccp.Address{RoutingIndicator: sccp.RouteOnSSN, PointCode: &dpc, SSN: &ssnCd},
		CallingParty: sccp.Address{RoutingIndicator: sccp.RouteOnSSN, PointCode: &opc, SSN: &ssnCg},
		Data:         data,
	}
	b, err := sccp.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	return &mxua.Message{Protocol: mxua.M3UA, Kind: mxua.KindDATA,
		ProtocolData: &mxua.ProtocolData{OPC: uint32(opc), DPC: uint32(dpc), SI: 3, NI: 2, SLS: 3, Payload: b}}
}

// slsData is DATA of a user part that binds by SLS (SI 4, TUP-less payload).
func slsData(d mxua.Direction, sls uint8) *mxua.Message {
	opc, dpc := uint32(tSS7PC), uint32(tPoolPC)
	if d == mxua.FromPool {
		opc, dpc = dpc, opc
	}
	return &mxua.Message{Protocol: mxua.M3UA, Kind: mxua.KindDATA,
		ProtocolData: &mxua.ProtocolData{OPC: opc, DPC: dpc, SI: 9, NI: 2, SLS: sls, Payload: []byte{1, 2, 3}}}
}

func element(id wire.PEIdentifier) wire.PoolElement {
	return wire.PoolElement{Identifier: id, UserTransport: wire.Transport{Kind: wire.TransportTCP, Port: 4000,
		Addresses: []netip.Addr{netip.MustParseAddr("127.0.0.1")}}, Policy: wire.Policy{Type: wire.PolicyRoundRobin}}
}

// harness drives a core with a fake clock.
type harness struct {
	t   *testing.T
	c   *Core
	now time.Time
}

func newHarness(t *testing.T, mod func(*CoreConfig)) *harness {
	t.Helper()
	cfg := CoreConfig{
		Pools:  []PoolConfig{{Handle: tPool}},
		Routes: []Route{mustRoute(t, "dpc=2:"+tPool)},
		Rand:   rand.New(rand.NewPCG(1, 2)),
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := NewCore(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, c: c, now: t0}
	h.c.Start(h.now)
	return h
}

func mustRoute(t testing.TB, s string) Route {
	t.Helper()
	r, err := ParseRoute(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (h *harness) advance(d time.Duration) { h.now = h.now.Add(d) }

// copyActs copies the core's reused action slice.
func copyActs(a []Action) []Action { return append([]Action(nil), a...) }

// up brings PEs ids into the pool with associations assoc = id and
// ASP-ACTIVE, resolving the whole set.
func (h *harness) up(ids ...wire.PEIdentifier) []Action {
	h.t.Helper()
	var all []wire.PoolElement
	for _, st := range h.c.Stats().PEs {
		all = append(all, element(st.PE))
	}
	for _, id := range ids {
		all = append(all, element(id))
	}
	acts := copyActs(h.c.Resolved(h.now, tPool, all, wire.PolicyRoundRobin, false))
	for _, id := range ids {
		if !hasAction(acts, ActDialPE, func(a Action) bool { return a.PE == id }) {
			h.t.Fatalf("no dial for %v in %v", id, acts)
		}
		acts = append(acts, h.c.PEConnected(h.now, tPool, id, mxua.AssocID(id))...)
		acts = append(acts, h.c.ASPState(h.now, mxua.M3UA, mxua.AssocID(id), mxua.ASPActive)...)
	}
	return acts
}

func hasAction(acts []Action, k ActionKind, f func(Action) bool) bool {
	for _, a := range acts {
		if a.Kind == k && (f == nil || f(a)) {
			return true
		}
	}
	return false
}

func only(acts []Action, k ActionKind) []Action {
	var out []Action
	for _, a := range acts {
		if a.Kind == k {
			out = append(out, a)
		}
	}
	return out
}

// fromSS7 sends m from upstream ASP assoc 100 and returns the PE
// association it went to (0: none).
func (h *harness) fromSS7(m *mxua.Message) (mxua.AssocID, []Action) {
	h.t.Helper()
	acts := copyActs(h.c.FromSS7(h.now, mxua.M3UA, 100, 7, m))
	sends := only(acts, ActSendPE)
	if len(sends) > 1 {
		h.t.Fatalf("one message sent %d times: %v", len(sends), acts)
	}
	if len(sends) == 0 {
		return 0, acts
	}
	if sends[0].Msg != m {
		h.t.Fatalf("sent another message than given")
	}
	return sends[0].Assoc, acts
}

// fromPool sends m from the PE on assoc and returns the upstream action.
func (h *harness) fromPool(assoc mxua.AssocID, m *mxua.Message) Action {
	h.t.Helper()
	acts := copyActs(h.c.FromPool(h.now, mxua.M3UA, assoc, m))
	ups := only(acts, ActSendUpstream)
	if len(ups) != 1 {
		h.t.Fatalf("from pool: want one upstream send, got %v", acts)
	}
	return ups[0]
}

func (h *harness) cookie(assoc mxua.AssocID, key mxua.BindingKey, state string) []Action {
	ck := mxua.BindingCookie{Key: key, State: []byte(state)}
	return copyActs(h.c.Cookie(h.now, mxua.M3UA, assoc, ck.Marshal()))
}

func circuitKey(cic uint16) mxua.BindingKey {
	return mxua.BindingKey{Kind: mxua.BindingCircuit, SS7PC: tSS7PC, PoolPC: tPoolPC, ID: uint32(cic)}
}

// msgSUS is ISUP suspend (Q.763 table 4): a mid-call message.
const msgSUS isup.MessageType = 0x0d
