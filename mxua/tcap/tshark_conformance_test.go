package tcap

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/sigpool/sigpool/internal/sctppcap"
	"github.com/sigpool/sigpool/internal/tshark/tsharktest"
	"github.com/sigpool/sigpool/mxua/sccp"
	"github.com/wmnsk/go-m3ua/messages"
	"github.com/wmnsk/go-m3ua/messages/params"
)

// m3uaUDT carries a TCAP message in an SCCP UDT (HLR SSN 6 to MSC SSN 8,
// route on SSN) in an M3UA DATA message (SI=3).
func m3uaUDT(t *testing.T, tcap []byte) []byte {
	t.Helper()
	cd, cg, pc1, pc2 := uint8(6), uint8(8), uint16(200), uint16(100)
	u, err := sccp.Marshal(&sccp.UDT{ProtocolClass: 1,
		CalledParty:  sccp.Address{RoutingIndicator: sccp.RouteOnSSN, PointCode: &pc1, SSN: &cd},
		CallingParty: sccp.Address{RoutingIndicator: sccp.RouteOnSSN, PointCode: &pc2, SSN: &cg},
		Data:         tcap})
	if err != nil {
		t.Fatal(err)
	}
	d := messages.NewData(nil, params.NewRoutingContext(1), params.NewProtocolData(100, 200, 3, 2, 0, 7, u), nil)
	b, err := d.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTsharkConformance has Wireshark's TCAP dissector read every exactly
// encoded golden and a few built messages: no malformed frame or expert
// error, the message type's element, and the otid and dtid encoded.
func TestTsharkConformance(t *testing.T) {
	tsharktest.Require(t)
	var msgs []*Message
	for _, g := range goldens {
		if g.exact {
			msgs = append(msgs, g.msg)
		}
	}
	msgs = append(msgs,
		&Message{Type: Begin, OTID: TIDUint32(0x00000001), Components: hx(invoke)},
		&Message{Type: Continue, OTID: tid("0a0b0c"), DTID: TIDUint32(1), Components: hx(invoke)},
		&Message{Type: End, DTID: tid("0a0b0c")},
		&Message{Type: Abort, DTID: tid("0a0b0c"), PAbortCause: u8(4)},
	)
	var frames []sctppcap.Frame
	start := time.Unix(1_800_000_000, 0)
	for i, m := range msgs {
		b, err := Marshal(m)
		if err != nil {
			t.Fatalf("encode %d: %v", i, err)
		}
		frames = append(frames, sctppcap.Frame{Time: start.Add(time.Duration(i) * time.Millisecond),
			Src: netip.MustParseAddrPort("127.0.0.1:40000"), Dst: netip.MustParseAddrPort("127.0.0.2:2905"),
			Stream: 1, PPID: 3, Data: m3uaUDT(t, b)})
	}
	pkts := tsharktest.Dissect(t, "tcap.pcap", frames)
	element := map[MessageType]string{Unidirectional: "tcap.unidirectional_element", Begin: "tcap.begin_element",
		End: "tcap.end_element", Continue: "tcap.continue_element", Abort: "tcap.abort_element"}
	for i, m := range msgs {
		t.Run(fmt.Sprintf("%d-%s", i, m.Type), func(t *testing.T) {
			p := pkts[i]
			if probs := p.Problems(); len(probs) > 0 {
				t.Fatalf("tshark reports %v", probs)
			}
			if p.Protocol("tcap") == nil {
				t.Fatal("no tcap layer")
			}
			if p.First(element[m.Type]) == nil {
				t.Errorf("no %s", element[m.Type])
			}
			for _, c := range []struct {
				field string
				id    TID
			}{{"tcap.otid", m.OTID}, {"tcap.dtid", m.DTID}} {
				f := p.First(c.field)
				switch {
				case !c.id.Valid() && f != nil:
					t.Errorf("%s %s, none encoded", c.field, f.Value)
				case c.id.Valid() && (f == nil || strings.ReplaceAll(f.Value, ":", "") != c.id.String()):
					t.Errorf("%s %v, encoded %s", c.field, f, c.id)
				}
			}
			// tshark shows a dialogue portion by its dialogue-as-id OID.
			if (m.Dialogue != nil) != (p.First("tcap.oid") != nil) {
				t.Errorf("dialogue portion encoded %v, tshark disagrees", m.Dialogue != nil)
			}
			if (m.Components != nil) != (p.First("tcap.components") != nil) {
				t.Errorf("component portion encoded %v, tshark disagrees", m.Components != nil)
			}
			if m.PAbortCause != nil {
				if v, err := p.First("tcap.p_abortCause").Uint(); err != nil || v != uint64(*m.PAbortCause) {
					t.Errorf("tcap.p_abortCause %d (%v), encoded %d", v, err, *m.PAbortCause)
				}
			}
		})
	}
}
