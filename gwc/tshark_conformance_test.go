package gwc

import (
	"net/netip"
	"testing"
	"time"

	"github.com/sigpool/sigpool/internal/sctppcap"
	"github.com/sigpool/sigpool/internal/tshark"
	"github.com/sigpool/sigpool/internal/tshark/tsharktest"
	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/mxua/isup"
	"github.com/sigpool/sigpool/mxua/tcap"
)

// Wireshark reads every answer the call agent builds: ISUP ACM, ANM, REL,
// RLC in M3UA DATA; TCAP Continue with an AARE and a ReturnResultLast, End
// and P-Abort in SCCP UDT; TCAP in a SUA CLDT. (The invoke's operation 45
// is MAP's sendRoutingInfoForSM, so MAP reads the result too.) No frame is malformed and
// the fields say what the agent meant.
func TestTsharkConformance(t *testing.T) {
	tsharktest.Require(t)
	a := newAgent(t, AgentConfig{HoldTime: time.Second, TCAPContinues: 1})
	var sent []*mxua.Message
	collect := func(acts []Action) {
		s, _, _ := split(acts)
		sent = append(sent, s...)
	}
	collect(a.Receive(t0, 1, isupFromSEP(t, iam(42))))    // ACM, ANM
	collect(a.Tick(t0.Add(time.Second)))                  // REL
	collect(a.Receive(t0, 1, isupFromSEP(t, rel(7, 16)))) // RLC
	ss7 := tidOf(t, sepTID...)
	collect(a.Receive(t0, 1, tcapFromSEP(t, &tcap.Message{Type: tcap.Begin, OTID: ss7, Dialogue: aarq, Components: invoke1})))
	pool := tcapSent(t, []Action{Send{Msg: sent[len(sent)-1]}})[0].OTID
	collect(a.Receive(t0, 1, tcapFromSEP(t, &tcap.Message{Type: tcap.Continue, OTID: ss7, DTID: pool})))
	collect(a.Receive(t0, 1, tcapFromSEP(t, &tcap.Message{Type: tcap.Continue, OTID: tidOf(t, 1), DTID: tidOf(t, 2, 2, 2, 2)})))
	collect(a.Receive(t0, 1, tcapCLDT(t, &tcap.Message{Type: tcap.Begin, OTID: ss7, Components: invoke1})))

	type want struct {
		isup  isup.MessageType
		tcap  string // element field
		extra []string
	}
	wants := []want{
		{isup: isup.MsgACM}, {isup: isup.MsgANM}, {isup: isup.MsgREL}, {isup: isup.MsgRLC},
		{tcap: "tcap.continue_element", extra: []string{"tcap.dialogueResponse_element", "tcap.result", "gsm_old.returnResultLast_element"}},
		{tcap: "tcap.end_element"},
		{tcap: "tcap.abort_element", extra: []string{"tcap.p_abortCause"}},
		{tcap: "tcap.continue_element", extra: []string{"sua.source.point_code", "gsm_old.returnResultLast_element"}},
	}
	if len(sent) != len(wants) {
		t.Fatalf("agent sent %d messages, want %d", len(sent), len(wants))
	}
	var frames []sctppcap.Frame
	for i, m := range sent {
		b, err := mxua.Encode(m)
		if err != nil {
			t.Fatalf("encode answer %d: %v", i, err)
		}
		frames = append(frames, sctppcap.Frame{Time: t0.Add(time.Duration(i) * time.Millisecond),
			Src: netip.MustParseAddrPort("127.0.0.2:2905"), Dst: netip.MustParseAddrPort("127.0.0.1:40000"),
			Stream: 1, PPID: m.Protocol.PPID(), Data: b})
	}
	pkts := tsharktest.Dissect(t, "gwc-answers.pcap", frames, "-o", "isup.variant:ITU Standard")
	for i, w := range wants {
		p := pkts[i]
		// Warnings too: a result MAP cannot read is only a BER warning.
		if probs := append(p.Problems(), p.Expert(tshark.SeverityWarning)...); len(probs) > 0 {
			t.Errorf("answer %d: tshark reports %v", i, probs)
			continue
		}
		if w.isup != 0 {
			if v, err := p.First("isup.message_type").Uint(); err != nil || v != uint64(w.isup) {
				t.Errorf("answer %d: isup.message_type %d (%v), want %v", i, v, err, w.isup)
			}
			continue
		}
		for _, f := range append([]string{w.tcap}, w.extra...) {
			if p.First(f) == nil {
				t.Errorf("answer %d: no %s", i, f)
			}
		}
	}
}
