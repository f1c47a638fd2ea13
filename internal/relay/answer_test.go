package relay

import (
	"testing"

	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/mxua/isup"
	"github.com/sigpool/sigpool/mxua/sccp"
	"github.com/sigpool/sigpool/mxua/tcap"
)

func ptr[T any](v T) *T { return &v }

// roundTrip encodes and decodes m, as the wire would.
func roundTrip(t *testing.T, m *mxua.Message) *mxua.Message {
	t.Helper()
	b, err := mxua.Encode(m)
	if err != nil {
		t.Fatalf("encode %v: %v", m.Kind, err)
	}
	d, err := mxua.Decode(m.Protocol, b)
	if err != nil {
		t.Fatalf("decode %v: %v", m.Kind, err)
	}
	return d
}

func answer(t *testing.T, m *mxua.Message) []*mxua.Message {
	t.Helper()
	out, err := Answer(roundTrip(t, m))
	if err != nil {
		t.Fatalf("answer %v: %v", m.Kind, err)
	}
	for i := range out {
		out[i] = roundTrip(t, out[i])
	}
	return out
}

func TestAnswerManagement(t *testing.T) {
	for _, c := range []struct {
		in, want mxua.Kind
	}{
		{mxua.KindASPUP, mxua.KindASPUPAck}, {mxua.KindASPDN, mxua.KindASPDNAck}, {mxua.KindBEAT, mxua.KindBEATAck},
		{mxua.KindASPAC, mxua.KindASPACAck}, {mxua.KindASPIA, mxua.KindASPIAAck},
	} {
		for _, p := range []mxua.Protocol{mxua.M3UA, mxua.SUA} {
			in := &mxua.Message{Protocol: p, Kind: c.in}
			switch c.in {
			case mxua.KindASPUP:
				in.ASPIdentifier = ptr(uint32(7))
			case mxua.KindASPAC:
				in.RoutingContexts, in.TrafficMode = []uint32{3}, mxua.TrafficModeLoadshare
			case mxua.KindBEAT:
				in.HeartbeatData = []byte("hb")
			}
			out := answer(t, in)
			if len(out) != 1 || out[0].Kind != c.want {
				t.Fatalf("%v %v answered with %v", p, c.in, out)
			}
			switch a := out[0]; c.in {
			case mxua.KindASPAC:
				if len(a.RoutingContexts) != 1 || a.RoutingContexts[0] != 3 || a.TrafficMode != mxua.TrafficModeLoadshare {
					t.Fatalf("ASPAC ACK %+v", a)
				}
			case mxua.KindBEAT:
				if string(a.HeartbeatData) != "hb" {
					t.Fatalf("BEAT ACK data %q", a.HeartbeatData)
				}
			}
		}
	}
	if out, err := Answer(&mxua.Message{Protocol: mxua.M3UA, Kind: mxua.KindNTFY}); out != nil || err != nil {
		t.Fatalf("NTFY answered: %v %v", out, err)
	}
}

func isupData(t *testing.T, x isup.Message) *mxua.Message {
	b, err := x.AppendTo(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &mxua.Message{Protocol: mxua.M3UA, Kind: mxua.KindDATA, RoutingContexts: []uint32{1},
		ProtocolData: &mxua.ProtocolData{OPC: 1, DPC: 2, SI: 5, NI: 2, SLS: 3, Payload: b}}
}

func TestAnswerISUP(t *testing.T) {
	iam := &isup.IAM{CIC: 33, CalledPartyNumber: isup.CalledPartyNumber{NatureOfAddress: 3, NumberingPlan: 1, Digits: "123"}}
	out := answer(t, isupData(t, iam))
	if len(out) != 2 {
		t.Fatalf("IAM answered with %d messages", len(out))
	}
	for i, want := range []isup.MessageType{isup.MsgACM, isup.MsgANM} {
		pd := out[i].ProtocolData
		x, err := isup.Decode(pd.Payload)
		if err != nil || x.MessageType() != want || x.CircuitID() != 33 || pd.OPC != 2 || pd.DPC != 1 || pd.SLS != 3 {
			t.Fatalf("answer %d: %v %+v (%v)", i, x, pd, err)
		}
	}
	out = answer(t, isupData(t, &isup.REL{CIC: 33, Cause: isup.CauseIndicators{Value: 16}}))
	if x, _ := isup.Decode(out[0].ProtocolData.Payload); len(out) != 1 || x.MessageType() != isup.MsgRLC {
		t.Fatalf("REL answered with %v", out)
	}
	if out := answer(t, isupData(t, &isup.RLC{CIC: 33})); len(out) != 0 {
		t.Fatalf("RLC answered with %v", out)
	}
	bad := isupData(t, &isup.RLC{CIC: 1})
	bad.ProtocolData.Payload = []byte{1}
	if _, err := Answer(bad); err == nil {
		t.Fatal("truncated ISUP answered")
	}
}

func TestAnswerTCAP(t *testing.T) {
	begin, _ := (&tcap.Message{Type: tcap.Begin, OTID: tcap.TIDUint32(0x01020304), Components: []byte{0xa1, 0x03, 0x02, 0x01, 0x01}}).AppendTo(nil)
	pc1, pc2, ssn1, ssn2 := uint16(1), uint16(2), uint8(8), uint8(6)
	udt, _ := (&sccp.UDT{
		CalledParty:  sccp.Address{RoutingIndicator: sccp.RouteOnSSN, PointCode: &pc2, SSN: &ssn2},
		CallingParty: sccp.Address{RoutingIndicator: sccp.RouteOnSSN, PointCode: &pc1, SSN: &ssn1},
		Data:         begin}).AppendTo(nil)
	out := answer(t, &mxua.Message{Protocol: mxua.M3UA, Kind: mxua.KindDATA,
		ProtocolData: &mxua.ProtocolData{OPC: 1, DPC: 2, SI: 3, NI: 2, Payload: udt}})
	if len(out) != 1 {
		t.Fatalf("UDT Begin answered with %v", out)
	}
	u, err := sccp.DecodeUDT(out[0].ProtocolData.Payload)
	if err != nil || *u.CalledParty.PointCode != 1 || *u.CallingParty.SSN != 6 {
		t.Fatalf("answer UDT %+v %v", u, err)
	}
	end, err := tcap.Decode(u.Data)
	if err != nil || end.Type != tcap.End || end.DTID != tcap.TIDUint32(0x01020304) || len(end.Components) != 5 {
		t.Fatalf("answer TCAP %+v %v", end, err)
	}

	cldt := &mxua.Message{Protocol: mxua.SUA, Kind: mxua.KindCLDT, SUA: &mxua.SUAData{
		Source:      &mxua.SCCPAddress{RoutingIndicator: 2, AddressIndicator: 3, PointCode: ptr(uint32(1)), SSN: ptr(uint8(8))},
		Destination: &mxua.SCCPAddress{RoutingIndicator: 2, AddressIndicator: 3, PointCode: ptr(uint32(2)), SSN: ptr(uint8(6))},
		Data:        begin}}
	out = answer(t, cldt)
	if len(out) != 1 || *out[0].SUA.Destination.PointCode != 1 || *out[0].SUA.Source.SSN != 6 {
		t.Fatalf("CLDT Begin answered with %+v", out)
	}
	if tr, err := tcap.TransactionIDs(out[0].SUA.Data); err != nil || tr.Type != tcap.End {
		t.Fatalf("CLDT answer %+v %v", tr, err)
	}
	endMsg, _ := (&tcap.Message{Type: tcap.End, DTID: tcap.TIDUint32(1)}).AppendTo(nil)
	cldt.SUA.Data = endMsg
	if out := answer(t, cldt); len(out) != 0 {
		t.Fatalf("End answered with %v", out)
	}
	cldt.SUA.Data = []byte{0x62, 0x05}
	if _, err := Answer(cldt); err == nil {
		t.Fatal("truncated TCAP answered")
	}
	for _, m := range []*mxua.Message{{Kind: mxua.KindDATA}, {Kind: mxua.KindCLDT}} {
		if _, err := Answer(m); err == nil {
			t.Fatalf("%v without content answered", m.Kind)
		}
	}
}

func FuzzAnswer(f *testing.F) {
	f.Add(uint8(5), []byte{1, 0, 1, 0, 0, 0, 0, 0})
	f.Add(uint8(3), []byte{9, 0, 3, 7, 11, 4, 0x43, 2, 0, 6, 4, 0x43, 1, 0, 8, 6, 0x62, 4, 0x48, 2, 0, 1})
	f.Fuzz(func(t *testing.T, si uint8, payload []byte) {
		_, _ = Answer(&mxua.Message{Protocol: mxua.M3UA, Kind: mxua.KindDATA, ProtocolData: &mxua.ProtocolData{SI: si, Payload: payload}})
		_, _ = Answer(&mxua.Message{Protocol: mxua.SUA, Kind: mxua.KindCLDT, SUA: &mxua.SUAData{Data: payload}})
	})
}
