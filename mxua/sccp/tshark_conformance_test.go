package sccp

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/sigpool/sigpool/internal/sctppcap"
	"github.com/sigpool/sigpool/internal/tshark"
	"github.com/sigpool/sigpool/internal/tshark/tsharktest"
	"github.com/wmnsk/go-m3ua/messages"
	"github.com/wmnsk/go-m3ua/messages/params"
)

// m3uaData wraps an MTP3 user part (SI=3: SCCP) in an M3UA DATA message
// with a routing context, as an SG sends it to an ASP.
func m3uaData(t *testing.T, opc, dpc uint32, payload []byte) []byte {
	t.Helper()
	d := messages.NewData(nil, params.NewRoutingContext(1),
		params.NewProtocolData(opc, dpc, 3, 2, 0, 5, payload), nil)
	b, err := d.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTsharkConformance has Wireshark's SCCP and TCAP dissectors read UDTs
// and XUDTs carrying a TCAP Begin, with every address form we encode: no
// malformed frame or expert error, and the message type, SSNs, point codes
// and GT digits tshark reports must be those encoded.
func TestTsharkConformance(t *testing.T) {
	tsharktest.Require(t)
	begin := hx(tcapBeginSRISM)
	gt := func(gti GTI, digits string) *GlobalTitle {
		return &GlobalTitle{Indicator: gti, NumberingPlan: 1, EncodingScheme: ESBCDEven, NatureOfAddress: 4, Digits: digits}
	}
	msgs := []Message{
		goldenMsg(t, "srism-udt"),
		&UDT{CalledParty: Address{RoutingIndicator: RouteOnSSN, PointCode: pc(1), SSN: ssn(6)},
			CallingParty: Address{RoutingIndicator: RouteOnSSN, PointCode: pc(0x3fff)}, Data: begin},
		&UDT{ProtocolClass: 1, ReturnOnError: true,
			CalledParty:  Address{PointCode: pc(0x2a5), SSN: ssn(6), GT: gt(GTITTNPESNAI, "491720000001")},
			CallingParty: Address{SSN: ssn(8), GT: gt(GTINAI, "491720000")}, Data: begin},
		&XUDT{HopCounter: 15, CalledParty: Address{RoutingIndicator: RouteOnSSN, PointCode: pc(4000), SSN: ssn(6)},
			CallingParty: Address{SSN: ssn(147), GT: gt(GTITTNPES, "3312345")}, Data: begin},
		&XUDT{ProtocolClass: 1, HopCounter: 7, CalledParty: Address{SSN: ssn(7), GT: gt(GTITTNPESNAI, "12345")},
			CallingParty: Address{RoutingIndicator: RouteOnSSN, PointCode: pc(2)}, Data: begin,
			Optional: []Parameter{{ParamImportance, []byte{3}}}},
	}

	var frames []sctppcap.Frame
	start := time.Unix(1_800_000_000, 0)
	for i, m := range msgs {
		b, err := Marshal(m)
		if err != nil {
			t.Fatalf("encode %d: %v", i, err)
		}
		frames = append(frames, sctppcap.Frame{Time: start.Add(time.Duration(i) * time.Millisecond),
			Src: netip.MustParseAddrPort("127.0.0.1:40000"), Dst: netip.MustParseAddrPort("127.0.0.2:2905"),
			Stream: 1, PPID: 3, Data: m3uaData(t, 100, 200, b)})
	}
	pkts := tsharktest.Dissect(t, "sccp.pcap", frames)
	for i, m := range msgs {
		t.Run(fmt.Sprintf("%d-%s", i, m.MessageType()), func(t *testing.T) {
			p := pkts[i]
			if probs := p.Problems(); len(probs) > 0 {
				t.Fatalf("tshark reports %v", probs)
			}
			for _, layer := range []string{"m3ua", "sccp", "tcap"} {
				if p.Protocol(layer) == nil {
					t.Fatalf("no %s layer", layer)
				}
			}
			if v, err := p.First("sccp.message_type").Uint(); err != nil || v != uint64(m.MessageType()) {
				t.Errorf("sccp.message_type %d (%v), encoded %d", v, err, m.MessageType())
			}
			var cd, cg Address
			switch m := m.(type) {
			case *UDT:
				cd, cg = m.CalledParty, m.CallingParty
			case *XUDT:
				cd, cg = m.CalledParty, m.CallingParty
				if v, _ := p.First("sccp.hops").Uint(); v != uint64(m.HopCounter) {
					t.Errorf("sccp.hops %d, encoded %d", v, m.HopCounter)
				}
			}
			checkAddress(t, p, "called", cd)
			checkAddress(t, p, "calling", cg)
			if f := p.First("tcap.otid"); f == nil || strings.ReplaceAll(f.Value, ":", "") != "16000000" {
				t.Errorf("tcap.otid %v, encoded 16000000", f)
			}
		})
	}
}

func goldenMsg(t *testing.T, name string) Message {
	for _, g := range goldens {
		if g.name == name {
			return g.msg
		}
	}
	t.Fatalf("no golden %q", name)
	return nil
}

func checkAddress(t *testing.T, p tshark.Packet, side string, a Address) {
	t.Helper()
	f := "sccp." + side + "."
	if v, _ := p.First(f + "ri").Uint(); v != uint64(a.RoutingIndicator) {
		t.Errorf("%sri %d, encoded %d", f, v, a.RoutingIndicator)
	}
	if a.PointCode != nil {
		if v, err := p.First(f + "pc").Uint(); err != nil || v != uint64(*a.PointCode) {
			t.Errorf("%spc %d (%v), encoded %d", f, v, err, *a.PointCode)
		}
	} else if p.First(f+"pc") != nil {
		t.Errorf("%spc present, none encoded", f)
	}
	if a.SSN != nil {
		if v, err := p.First(f + "ssn").Uint(); err != nil || v != uint64(*a.SSN) {
			t.Errorf("%sssn %d (%v), encoded %d", f, v, err, *a.SSN)
		}
	}
	if a.GT != nil {
		if v, _ := p.First(f + "gti").Uint(); v != uint64(a.GT.Indicator) {
			t.Errorf("%sgti %d, encoded %d", f, v, a.GT.Indicator)
		}
		if d := p.First(f + "digits"); d == nil || d.Show != a.GT.Digits {
			t.Errorf("%sdigits %v, encoded %q", f, d, a.GT.Digits)
		}
	}
}
