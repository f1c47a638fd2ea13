package isup

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/sigpool/sigpool/internal/sctppcap"
	"github.com/sigpool/sigpool/internal/tshark/tsharktest"
	"github.com/wmnsk/go-m3ua/messages"
	"github.com/wmnsk/go-m3ua/messages/params"
)

// m3uaData wraps an MTP3 user part (SI=5: ISUP) in an M3UA DATA message.
func m3uaData(t *testing.T, payload []byte) []byte {
	t.Helper()
	d := messages.NewData(nil, params.NewRoutingContext(1),
		params.NewProtocolData(100, 200, 5, 2, 0, 3, payload), nil)
	b, err := d.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTsharkConformance has Wireshark's ISUP dissector (ITU variant) read
// every golden and a few built messages: no malformed frame or expert
// error; CIC, message type, called and calling digits and cause value must
// be those encoded.
func TestTsharkConformance(t *testing.T) {
	tsharktest.Require(t)
	var msgs []Message
	for _, g := range goldens {
		msgs = append(msgs, g.msg)
	}
	msgs = append(msgs,
		&IAM{CIC: 0x0abc, NatureOfConnection: 0x10, ForwardCall: 0x0120, CallingPartysCategory: CategoryPayphone, TransmissionMediumRequirement: TMR64kUnrestrict,
			CalledPartyNumber:  CalledPartyNumber{NatureOfAddress: NAISubscriberNumber, NumberingPlan: NumberingPlanISDN, Digits: "1234567"},
			CallingPartyNumber: &CallingPartyNumber{NatureOfAddress: NAINationalSignificant, NumberingPlan: NumberingPlanISDN, Presentation: 1, Screening: 1, Digits: "301234567"}},
		&REL{CIC: 0x0abc, Cause: CauseIndicators{Location: LocationPublicLocal, Value: CauseNoAnswer}},
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
			Stream: 1, PPID: 3, Data: m3uaData(t, b)})
	}
	pkts := tsharktest.Dissect(t, "isup.pcap", frames, "-o", "isup.variant:ITU Standard")
	for i, m := range msgs {
		t.Run(fmt.Sprintf("%d-%s", i, m.MessageType()), func(t *testing.T) {
			p := pkts[i]
			if probs := p.Problems(); len(probs) > 0 {
				t.Fatalf("tshark reports %v", probs)
			}
			if p.Protocol("isup") == nil {
				t.Fatal("no isup layer")
			}
			if v, err := p.First("isup.cic").Uint(); err != nil || v != uint64(m.CircuitID()) {
				t.Errorf("isup.cic %d (%v), encoded %d", v, err, m.CircuitID())
			}
			if v, err := p.First("isup.message_type").Uint(); err != nil || v != uint64(m.MessageType()) {
				t.Errorf("isup.message_type %d (%v), encoded %d", v, err, m.MessageType())
			}
			switch m := m.(type) {
			case *IAM:
				if f := p.First("isup.called"); f == nil || f.Show != m.CalledPartyNumber.Digits {
					t.Errorf("isup.called %v, encoded %q", f, m.CalledPartyNumber.Digits)
				}
				if v, _ := p.First("isup.calling_partys_category").Uint(); v != uint64(m.CallingPartysCategory) {
					t.Errorf("calling party's category %d, encoded %d", v, m.CallingPartysCategory)
				}
				if v, _ := p.First("isup.transmission_medium_requirement").Uint(); v != uint64(m.TransmissionMediumRequirement) {
					t.Errorf("TMR %d, encoded %d", v, m.TransmissionMediumRequirement)
				}
				if m.CallingPartyNumber != nil {
					if f := p.First("isup.calling"); f == nil || f.Show != m.CallingPartyNumber.Digits {
						t.Errorf("isup.calling %v, encoded %q", f, m.CallingPartyNumber.Digits)
					}
				}
			case *REL:
				if v, err := p.First("isup.cause_indicator").Uint(); err != nil || v != uint64(m.Cause.Value) {
					t.Errorf("isup.cause_indicator %d (%v), encoded %d", v, err, m.Cause.Value)
				}
				if v, _ := p.First("q931.cause_location").Uint(); v != uint64(m.Cause.Location) {
					t.Errorf("q931.cause_location %d, encoded %d", v, m.Cause.Location)
				}
			}
		})
	}
}
