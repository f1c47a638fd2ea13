package gwc

import (
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/mxua/isup"
	"github.com/sigpool/sigpool/mxua/sccp"
	"github.com/sigpool/sigpool/mxua/tcap"
)

// The SS7 side (a SEP at point code sepPC) talks to the pool at poolPC.
const (
	sepPC  = 100
	poolPC = 200
	testRC = 7
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// hx decodes hex written with spaces for readability.
func hx(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}

func newAgent(t testing.TB, cfg AgentConfig) *CallAgent {
	t.Helper()
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	a, err := NewCallAgent(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// isupFromSEP wraps an ISUP message from the SEP in M3UA DATA.
func isupFromSEP(t testing.TB, m isup.Message) *mxua.Message {
	t.Helper()
	b, err := isup.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return dataFromSEP(siISUP, uint8(m.CircuitID()&0x0f), b)
}

func dataFromSEP(si, sls uint8, payload []byte) *mxua.Message {
	return &mxua.Message{Protocol: mxua.M3UA, Kind: mxua.KindDATA, RoutingContexts: []uint32{testRC},
		ProtocolData: &mxua.ProtocolData{OPC: sepPC, DPC: poolPC, SI: si, NI: 2, MP: 1, SLS: sls, Payload: payload}}
}

func iam(cic uint16) *isup.IAM {
	return &isup.IAM{CIC: cic, CallingPartysCategory: isup.CategoryOrdinary,
		CalledPartyNumber: isup.CalledPartyNumber{NatureOfAddress: isup.NAINationalSignificant, NumberingPlan: isup.NumberingPlanISDN, Digits: "4930123"}}
}

func rel(cic uint16, cause uint8) *isup.REL {
	return &isup.REL{CIC: cic, Cause: isup.CauseIndicators{Location: isup.LocationUser, Value: cause}}
}

func u16p(v uint16) *uint16 { return &v }
func u8p(v uint8) *uint8    { return &v }
func u32p(v uint32) *uint32 { return &v }

var (
	sepAddr  = sccp.Address{RoutingIndicator: sccp.RouteOnSSN, PointCode: u16p(sepPC), SSN: u8p(8)}
	poolAddr = sccp.Address{RoutingIndicator: sccp.RouteOnSSN, PointCode: u16p(poolPC), SSN: u8p(146)}
)

// tcapFromSEP wraps a TCAP message from the SEP in SCCP UDT in M3UA DATA.
func tcapFromSEP(t testing.TB, m *tcap.Message) *mxua.Message {
	t.Helper()
	tb, err := tcap.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	ub, err := sccp.Marshal(&sccp.UDT{ProtocolClass: 0, CalledParty: poolAddr, CallingParty: sepAddr, Data: tb})
	if err != nil {
		t.Fatal(err)
	}
	return dataFromSEP(siSCCP, 3, ub)
}

// tcapCLDT wraps a TCAP message from the SEP in a SUA CLDT.
func tcapCLDT(t testing.TB, m *tcap.Message) *mxua.Message {
	t.Helper()
	tb, err := tcap.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return &mxua.Message{Protocol: mxua.SUA, Kind: mxua.KindCLDT, RoutingContexts: []uint32{testRC}, SUA: &mxua.SUAData{
		ProtocolClass: 0x80, SequenceControl: 5,
		Source:      &mxua.SCCPAddress{RoutingIndicator: mxua.RouteOnSSNPC, AddressIndicator: 3, PointCode: u32p(sepPC), SSN: u8p(8)},
		Destination: &mxua.SCCPAddress{RoutingIndicator: mxua.RouteOnSSNPC, AddressIndicator: 3, PointCode: u32p(poolPC), SSN: u8p(146)},
		Data:        tb,
	}}
}

func tidOf(t testing.TB, v ...byte) tcap.TID {
	t.Helper()
	id, err := tcap.NewTID(v)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// split sorts actions by type.
func split(acts []Action) (sent []*mxua.Message, cookies []mxua.BindingCookie, notes []Note) {
	for _, a := range acts {
		switch a := a.(type) {
		case Send:
			sent = append(sent, a.Msg)
		case SendCookie:
			cookies = append(cookies, a.Cookie)
		case Note:
			notes = append(notes, a)
		}
	}
	return
}

// isupSent decodes the ISUP messages among acts, checking their route back
// to the SEP.
func isupSent(t testing.TB, acts []Action, wantOPC uint32) []isup.Message {
	t.Helper()
	sent, _, _ := split(acts)
	var out []isup.Message
	for _, m := range sent {
		pd := m.ProtocolData
		if m.Kind != mxua.KindDATA || pd == nil || pd.SI != siISUP {
			t.Fatalf("sent %v %+v, want ISUP in DATA", m.Kind, pd)
		}
		if pd.OPC != wantOPC || pd.DPC != sepPC || pd.NI != 2 || pd.MP != 1 {
			t.Fatalf("ISUP sent with OPC %d DPC %d NI %d MP %d, want %d -> %d NI 2 MP 1", pd.OPC, pd.DPC, pd.NI, pd.MP, wantOPC, sepPC)
		}
		if len(m.RoutingContexts) != 1 || m.RoutingContexts[0] != testRC {
			t.Fatalf("ISUP sent with RC %v, want [%d]", m.RoutingContexts, testRC)
		}
		im, err := isup.Decode(pd.Payload)
		if err != nil {
			t.Fatalf("GWC sent undecodable ISUP: %v", err)
		}
		if pd.SLS != uint8(im.CircuitID()&0x0f) {
			t.Fatalf("ISUP for CIC %d on SLS %d: the call's SLS changed", im.CircuitID(), pd.SLS)
		}
		out = append(out, im)
	}
	return out
}

func types(ms []isup.Message) []isup.MessageType {
	var out []isup.MessageType
	for _, m := range ms {
		out = append(out, m.MessageType())
	}
	return out
}

// tcapSent decodes the TCAP answers among acts (SCCP UDT/XUDT in DATA, or
// SUA CLDT), checking the addresses are swapped.
func tcapSent(t testing.TB, acts []Action) []*tcap.Message {
	t.Helper()
	sent, _, _ := split(acts)
	var out []*tcap.Message
	for _, m := range sent {
		var data []byte
		switch {
		case m.Protocol == mxua.SUA:
			if m.Kind != mxua.KindCLDT || *m.SUA.Destination.PointCode != sepPC || *m.SUA.Source.PointCode != poolPC {
				t.Fatalf("SUA answer %v from %+v to %+v, want CLDT %d -> %d", m.Kind, m.SUA.Source, m.SUA.Destination, poolPC, sepPC)
			}
			data = m.SUA.Data
		default:
			pd := m.ProtocolData
			if pd.SI != siSCCP || pd.DPC != sepPC || pd.OPC != poolPC {
				t.Fatalf("SCCP answer SI %d %d -> %d, want SI 3 %d -> %d", pd.SI, pd.OPC, pd.DPC, poolPC, sepPC)
			}
			msg, err := sccp.Decode(pd.Payload)
			if err != nil {
				t.Fatalf("GWC sent undecodable SCCP: %v", err)
			}
			var cd, cg sccp.Address
			switch u := msg.(type) {
			case *sccp.UDT:
				cd, cg, data = u.CalledParty, u.CallingParty, u.Data
			case *sccp.XUDT:
				cd, cg, data = u.CalledParty, u.CallingParty, u.Data
			}
			if *cd.PointCode != sepPC || *cd.SSN != 8 || *cg.PointCode != poolPC || *cg.SSN != 146 {
				t.Fatalf("SCCP answer called %v calling %v: not swapped", cd, cg)
			}
		}
		tm, err := tcap.Decode(data)
		if err != nil {
			t.Fatalf("GWC sent undecodable TCAP: %v", err)
		}
		out = append(out, tm)
	}
	return out
}

// noteKinds lists the kinds of the notes among acts.
func noteKinds(acts []Action) []NoteKind {
	_, _, notes := split(acts)
	var out []NoteKind
	for _, n := range notes {
		out = append(out, n.Kind)
	}
	return out
}

func hasNote(acts []Action, k NoteKind) bool {
	for _, n := range noteKinds(acts) {
		if n == k {
			return true
		}
	}
	return false
}

// mustUDT wraps data in a UDT from the SEP to the pool.
func mustUDT(t testing.TB, data []byte) []byte {
	t.Helper()
	b, err := sccp.Marshal(&sccp.UDT{CalledParty: poolAddr, CallingParty: sepAddr, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mustXUDT wraps data in an XUDT from the SEP to the pool.
func mustXUDT(t testing.TB, data []byte) []byte {
	t.Helper()
	b, err := sccp.Marshal(&sccp.XUDT{HopCounter: 10, CalledParty: poolAddr, CallingParty: sepAddr, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	return b
}
