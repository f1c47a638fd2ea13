package mxua

import (
	"bytes"
	"testing"
	"time"
)

// ASP test cases modelled on ETSI TS 102 381 (as listed by nplab's
// m3ua-testtool, m3ua-asp-*) and RFC 4666 section 4.3.4. The tester plays
// the SGP by hand.

func aspRig(t *testing.T, mut ...func(*ASPConfig)) (*ASP, *rig) {
	t.Helper()
	cfg := ASPConfig{Protocol: M3UA, ASPIdentifier: fsmPtr(uint32(7)), RoutingContexts: []uint32{10},
		TrafficMode: TrafficModeOverride, Target: ASPActive}
	for _, f := range mut {
		f(&cfg)
	}
	a, err := NewASP(1, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a, newRig(t, a)
}

// activate runs the ASP through ASP Up and ASP Active with the tester
// acknowledging.
func (r *rig) activate() {
	r.t.Helper()
	got := sentTo(r.step(AssocUp{Assoc: 1, Streams: 4}), 1)
	wantKinds(r.t, got, KindASPUP)
	got = sentTo(r.in(1, mkMsg(KindASPUPAck)), 1)
	wantKinds(r.t, got, KindASPAC)
	ack := mkMsg(KindASPACAck)
	ack.RoutingContexts = got[0].RoutingContexts
	r.in(1, ack)
	r.take()
}

// ETSI TS 102 381 M3UA_ASP_ASPSM_V_002: once the association is up the ASP
// sends ASP Up, with its ASP Identifier.
func TestETSI_ASP_ASPSM_V_002_SendsASPUP(t *testing.T) {
	a, r := aspRig(t)
	got := sentTo(r.step(AssocUp{Assoc: 1, Streams: 4}), 1)
	wantKinds(t, got, KindASPUP)
	if got[0].ASPIdentifier == nil || *got[0].ASPIdentifier != 7 || a.State() != ASPDown {
		t.Fatalf("ASPUP %+v state %v", got[0], a.State())
	}
}

// ETSI TS 102 381 M3UA_ASP_ASPTM_V_001 / V_002: after ASP Up Ack the ASP
// sends ASP Active with its Routing Context and Traffic Mode Type and is
// ASP-ACTIVE once acknowledged.
func TestETSI_ASP_ASPTM_V_001_V_002_ASPACAfterUpAck(t *testing.T) {
	a, r := aspRig(t)
	r.step(AssocUp{Assoc: 1, Streams: 4})
	got := sentTo(r.in(1, mkMsg(KindASPUPAck)), 1)
	wantKinds(t, got, KindASPAC)
	if got[0].TrafficMode != TrafficModeOverride || got[0].RoutingContexts[0] != 10 || a.State() != ASPInactive {
		t.Fatalf("ASPAC %+v state %v", got[0], a.State())
	}
	acts := r.in(1, mkMsg(KindASPACAck))
	if a.State() != ASPActive || len(notifies(acts, NotifyASPState)) != 1 {
		t.Fatalf("state %v", a.State())
	}
	if _, armed := r.timerSet[TimerID{Kind: TimerAck, Assoc: 1}]; armed {
		t.Fatal("T(ack) still armed")
	}
}

// ETSI TS 102 381 M3UA_ASP_ASPTM_V_005 / ASPSM_V_005: made inactive, the
// ASP sends ASP Inactive; taken down, ASP Down, each after the previous
// ack. From ASP-ACTIVE a down request sends ASP Down at once (RFC 4666
// section 4.3.4.2 allows it; one round trip less).
func TestETSI_ASP_ASPTM_V_005_ASPSM_V_005_ASPIAThenASPDN(t *testing.T) {
	a, r := aspRig(t)
	r.activate()
	wantKinds(t, sentTo(r.step(ASPInactiveRequest{}), 1), KindASPIA)
	r.step(ASPDownRequest{}) // queued behind the outstanding ASPIA
	wantKinds(t, sentTo(r.in(1, mkMsg(KindASPIAAck)), 1), KindASPDN)
	if a.State() != ASPInactive {
		t.Fatalf("state %v", a.State())
	}
	r.in(1, mkMsg(KindASPDNAck))
	if a.State() != ASPDown {
		t.Fatalf("state %v", a.State())
	}
	r.step(ASPActiveRequest{})
	r.in(1, mkMsg(KindASPUPAck))
	r.in(1, mkMsg(KindASPACAck))
	wantKinds(t, sentTo(r.step(ASPDownRequest{}), 1), KindASPDN)
	r.in(1, mkMsg(KindASPDNAck))
	if a.State() != ASPDown {
		t.Fatalf("state %v", a.State())
	}
}

// RFC 4666 section 4.3.4.1 (T(ack)): an unanswered ASP Up is sent again
// every T(ack) (2 s) and given up after MaxAttempts with a negative
// confirmation.
func TestRFC4666_4_3_4_1_TAckRetransmission(t *testing.T) {
	a, r := aspRig(t, func(c *ASPConfig) { c.MaxAttempts = 3 })
	r.step(AssocUp{Assoc: 1, Streams: 4})
	r.take()
	r.advance(DefaultTAck - time.Millisecond)
	if len(sendsOf(r.take())) != 0 {
		t.Fatal("retransmitted before T(ack)")
	}
	r.advance(time.Millisecond)
	wantKinds(t, sentTo(r.take(), 1), KindASPUP)
	r.advance(DefaultTAck)
	wantKinds(t, sentTo(r.take(), 1), KindASPUP)
	r.advance(DefaultTAck)
	acts := r.take()
	if len(sendsOf(acts)) != 0 {
		t.Fatalf("fourth attempt: %v", kindsOf(sentTo(acts, 1)))
	}
	f := notifies(acts, NotifyRequestFailed)
	if len(f) != 1 || f[0].Request != KindASPUP || a.State() != ASPDown {
		t.Fatalf("failure %+v", f)
	}
	// A later request starts over.
	wantKinds(t, sentTo(r.step(ASPUpRequest{}), 1), KindASPUP)
}

// With AbortUnanswered (what a redialing endpoint sets) an ASP Up or ASP
// Active given up without any answer aborts the association; the next one
// starts over toward the same target. A refusal by ERR does not.
func TestRFC4666_4_3_4_1_AbortUnanswered(t *testing.T) {
	a, r := aspRig(t, func(c *ASPConfig) { c.MaxAttempts = 2; c.AbortUnanswered = true })
	r.step(AssocUp{Assoc: 1, Streams: 4})
	r.take()
	r.advance(2 * DefaultTAck)
	acts := r.take()
	var abort *AbortAssoc
	for _, x := range acts {
		if ab, ok := x.(AbortAssoc); ok && ab.Assoc == 1 {
			abort = &ab
		}
	}
	if f := notifies(acts, NotifyRequestFailed); len(f) != 1 || f[0].Request != KindASPUP || abort == nil || a.State() != ASPDown {
		t.Fatalf("unanswered ASP Up: failures %+v, abort %v, state %v", f, abort, a.State())
	}
	r.step(AssocDown{Assoc: 1, Reason: abort.Reason})
	wantKinds(t, sentTo(r.step(AssocUp{Assoc: 1, Streams: 4}), 1), KindASPUP)
	// Up this time; the ASP Active goes unanswered: abort again.
	r.in(1, mkMsg(KindASPUPAck))
	r.take()
	r.advance(2 * DefaultTAck)
	if !hasAbort(r.take()) {
		t.Fatal("unanswered ASP Active: no abort")
	}
	// An ERR refusing the request is an answer: no abort.
	r.step(AssocDown{Assoc: 1})
	r.step(AssocUp{Assoc: 1, Streams: 4})
	r.in(1, mkMsg(KindASPUPAck))
	e := mkMsg(KindERR)
	e.ErrorCode = ErrInvalidRoutingContext
	r.in(1, e)
	r.advance(10 * DefaultTAck)
	if hasAbort(r.take()) || a.State() != ASPInactive {
		t.Fatalf("refused ASP Active: aborted or state %v", a.State())
	}
}

func hasAbort(acts []Action) bool {
	for _, x := range acts {
		if _, ok := x.(AbortAssoc); ok {
			return true
		}
	}
	return false
}

// RFC 4666 section 4.3.4.1: an SGP that still has the ASP ACTIVE (its new
// association came up before the SGP saw the old one end) answers ASP Up
// with ASP Up Ack and ERR(Unexpected Message), in either order. Neither
// order may end the ASP's way up: it reaches ASP-ACTIVE.
func TestRFC4666_4_3_4_1_UpAckWithUnexpectedMessage(t *testing.T) {
	unexpected := func() *Message {
		e := mkMsg(KindERR)
		e.ErrorCode = ErrUnexpectedMessage
		return e
	}
	for _, errFirst := range []bool{true, false} {
		a, r := aspRig(t)
		wantKinds(t, sentTo(r.step(AssocUp{Assoc: 1, Streams: 4}), 1), KindASPUP)
		var sent []*Message
		if errFirst {
			sent = append(sent, sentTo(r.in(1, unexpected()), 1)...)
			sent = append(sent, sentTo(r.in(1, mkMsg(KindASPUPAck)), 1)...)
		} else {
			sent = append(sent, sentTo(r.in(1, mkMsg(KindASPUPAck)), 1)...)
			sent = append(sent, sentTo(r.in(1, unexpected()), 1)...)
		}
		wantKinds(t, sent, KindASPAC)
		r.in(1, mkMsg(KindASPACAck))
		if f := notifies(r.take(), NotifyRequestFailed); len(f) != 0 || a.State() != ASPActive {
			t.Fatalf("ERR first %v: failures %+v, state %v; want ASP-ACTIVE", errFirst, f, a.State())
		}
	}
}

// RFC 4666 section 4.3.4.3 (T(ack) for ASP Active): an ASP Active lost
// once is retransmitted and the late ack completes it.
func TestRFC4666_4_3_4_3_TAckRetransmitsASPAC(t *testing.T) {
	a, r := aspRig(t)
	r.step(AssocUp{Assoc: 1, Streams: 4})
	r.in(1, mkMsg(KindASPUPAck))
	r.take()
	r.advance(DefaultTAck)
	wantKinds(t, sentTo(r.take(), 1), KindASPAC)
	r.in(1, mkMsg(KindASPACAck))
	r.in(1, mkMsg(KindASPACAck)) // the ack of the first copy, late: ignored
	if a.State() != ASPActive || len(sendsOf(r.take())) != 0 {
		t.Fatalf("state %v", a.State())
	}
}

// ETSI TS 102 381 M3UA_ASP_ASPSM_O_001: answered with ASP Down Ack instead
// of ASP Up Ack, the ASP stays down and does not send ASP Active.
func TestETSI_ASP_ASPSM_O_001_ASPDNAckInsteadOfUpAck(t *testing.T) {
	a, r := aspRig(t)
	r.step(AssocUp{Assoc: 1, Streams: 4})
	got := sentTo(r.in(1, mkMsg(KindASPDNAck)), 1)
	if len(got) != 0 || a.State() != ASPDown {
		t.Fatalf("sent %v state %v", kindsOf(got), a.State())
	}
}

// ETSI TS 102 381 M3UA_ASP_ASPSM_O_002: an ASP Active Ack in ASP-DOWN gets
// ERR(Unexpected Message) and changes nothing.
func TestETSI_ASP_ASPSM_O_002_UnexpectedASPACAck(t *testing.T) {
	a, r := aspRig(t)
	r.step(AssocUp{Assoc: 1, Streams: 4})
	got := sentTo(r.in(1, mkMsg(KindASPACAck)), 1)
	wantErr(t, got[0], ErrUnexpectedMessage)
	if a.State() != ASPDown {
		t.Fatal("state changed")
	}
}

// ETSI TS 102 381 M3UA_ASP_ASPTM_V_007 / V_008: BEAT (even with 5000 bytes
// of data) is answered by BEAT ACK with the data unchanged — also in
// ASP-INACTIVE and ASP-DOWN.
func TestETSI_ASP_ASPTM_V_008_BEATEchoInEveryState(t *testing.T) {
	_, r := aspRig(t, func(c *ASPConfig) { c.Target = ASPInactive })
	r.step(AssocUp{Assoc: 1, Streams: 4})
	b := mkMsg(KindBEAT)
	b.HeartbeatData = bytes.Repeat([]byte{0xa5, 0x5a}, 2500)
	got := sentTo(r.in(1, b), 1) // ASP-DOWN
	wantKinds(t, got, KindBEATAck)
	if !bytes.Equal(got[0].HeartbeatData, b.HeartbeatData) {
		t.Fatal("data changed")
	}
	r.in(1, mkMsg(KindASPUPAck))
	wantKinds(t, sentTo(r.in(1, b), 1), KindBEATAck) // ASP-INACTIVE
}

// RFC 4666 section 4.3.4.6 with the carrier profile (BEAT 100 ms x 3): the
// ASP beats in ASP-INACTIVE, and a frozen SGP is declared lost within
// 600 ms (the association is aborted, the ASP is down).
func TestRFC4666_4_3_4_6_ASP_PeerLostInInactiveCarrierProfile(t *testing.T) {
	a, r := aspRig(t, func(c *ASPConfig) { c.Target = ASPInactive; c.Profile = carrierProfile(t) })
	r.step(AssocUp{Assoc: 1, Streams: 4})
	r.in(1, mkMsg(KindASPUPAck))
	r.take()
	// The SGP answers BEATs for a second...
	for range 100 {
		r.advance(10 * time.Millisecond)
		for _, m := range sentTo(r.take(), 1) {
			if m.Kind == KindBEAT {
				r.in(1, beatAck(M3UA, m))
			}
		}
	}
	if a.State() != ASPInactive {
		t.Fatalf("lost a live peer: %v", a.State())
	}
	// ...then freezes.
	frozen := r.now
	var lost time.Time
	beats := 0
	for r.now.Sub(frozen) < time.Second && lost.IsZero() {
		r.advance(10 * time.Millisecond)
		acts := r.take()
		for _, m := range sentTo(acts, 1) {
			if m.Kind == KindBEAT {
				beats++
			}
		}
		if n := notifies(acts, NotifyPeerLost); len(n) > 0 {
			lost = r.now
			abort := false
			for _, x := range acts {
				if _, ok := x.(AbortAssoc); ok {
					abort = true
				}
			}
			if !abort {
				t.Fatal("no AbortAssoc")
			}
		}
	}
	if lost.IsZero() || lost.Sub(frozen) >= 600*time.Millisecond || beats != 3 {
		t.Fatalf("lost after %v with %d BEATs", lost.Sub(frozen), beats)
	}
	if a.State() != ASPDown {
		t.Fatalf("state %v", a.State())
	}
}

// RFC 4666 section 4.3.4.2: an unsolicited ASP Down Ack (the SGP took the
// ASP down) makes the ASP-ACTIVE ASP consider itself down and return to
// its previous state: ASP Up, then ASP Active.
func TestRFC4666_4_3_4_2_ASP_UnsolicitedASPDNAckRecovers(t *testing.T) {
	a, r := aspRig(t)
	r.activate()
	got := sentTo(r.in(1, mkMsg(KindASPDNAck)), 1)
	wantKinds(t, got, KindASPUP)
	if a.State() != ASPDown {
		t.Fatalf("state %v", a.State())
	}
	wantKinds(t, sentTo(r.in(1, mkMsg(KindASPUPAck)), 1), KindASPAC)
	r.in(1, mkMsg(KindASPACAck))
	if a.State() != ASPActive {
		t.Fatalf("state %v", a.State())
	}
}

// RFC 4666 section 4.3.4.4: an unsolicited ASP Inactive Ack makes an
// ASP-ACTIVE ASP INACTIVE; it then asks to be active again.
func TestRFC4666_4_3_4_4_ASP_UnsolicitedASPIAAck(t *testing.T) {
	a, r := aspRig(t)
	r.activate()
	wantKinds(t, sentTo(r.in(1, mkMsg(KindASPIAAck)), 1), KindASPAC)
	if a.State() != ASPInactive {
		t.Fatalf("state %v", a.State())
	}
}

// RFC 4666 section 4.3.4.5: NTFY(Alternate ASP Active) makes the ASP
// INACTIVE; it does not fight the new active ASP. AS state NTFYs are
// recorded.
func TestRFC4666_4_3_4_5_ASP_NtfyAlternateASPActive(t *testing.T) {
	a, r := aspRig(t)
	r.activate()
	n := mkMsg(KindNTFY)
	n.Status = &Status{Type: StatusTypeASStateChange, Info: StatusASActive}
	n.RoutingContexts = []uint32{10}
	r.in(1, n)
	if a.ASState(10) != ASActive {
		t.Fatalf("AS %v", a.ASState(10))
	}
	n = mkMsg(KindNTFY)
	n.Status = &Status{Type: StatusTypeOther, Info: StatusAlternateASPActive}
	n.RoutingContexts = []uint32{10}
	acts := r.in(1, n)
	if a.State() != ASPInactive || len(sendsOf(acts)) != 0 || len(notifies(acts, NotifyStatus)) != 1 {
		t.Fatalf("state %v sent %v", a.State(), kindsOf(sentTo(acts, 1)))
	}
	r.advance(10 * time.Second)
	if len(sendsOf(r.take())) != 0 {
		t.Fatal("re-activated")
	}
}

// RFC 4666 section 3.8.1: an ERR refusing the ASP Active (here Invalid
// Routing Context) ends the request without retransmission.
func TestRFC4666_3_8_1_ASP_ERRRefusesASPAC(t *testing.T) {
	a, r := aspRig(t)
	r.step(AssocUp{Assoc: 1, Streams: 4})
	r.in(1, mkMsg(KindASPUPAck))
	e := mkMsg(KindERR)
	e.ErrorCode = ErrInvalidRoutingContext
	acts := r.in(1, e)
	if f := notifies(acts, NotifyRequestFailed); len(f) != 1 || f[0].Request != KindASPAC {
		t.Fatalf("failure %+v", f)
	}
	r.take()
	r.advance(10 * time.Second)
	if len(sendsOf(r.take())) != 0 || a.State() != ASPInactive {
		t.Fatal("retransmitted after ERR")
	}
}

// ETSI TS 102 381 M3UA_ASP_ASPSM_I_003 / ASPTM_I_003 / MTR_I_002 /
// MTR_I_003: undefined message types and classes get ERR(Unsupported
// Message Type / Class).
func TestETSI_ASP_ASPTM_I_003_MTR_I_002_I_003_UnsupportedKinds(t *testing.T) {
	_, r := aspRig(t)
	r.activate()
	wantErr(t, sentTo(r.in(1, mkMsg(NewKind(ClassASPSM, 7))), 1)[0], ErrUnsupportedMessageType)
	wantErr(t, sentTo(r.in(1, mkMsg(NewKind(ClassASPTM, 5))), 1)[0], ErrUnsupportedMessageType)
	wantErr(t, sentTo(r.in(1, mkMsg(NewKind(10, 0))), 1)[0], ErrUnsupportedMessageClass)
	wantErr(t, sentTo(r.in(1, mkMsg(NewKind(ClassTransfer, 3))), 1)[0], ErrUnsupportedMessageType)
	wantErr(t, sentTo(r.in(1, mkMsg(NewKind(ClassRKM, 9))), 1)[0], ErrUnsupportedMessageType)
}

// RFC 4666 section 4.3.4 / ETSI M3UA_ASP_MTR: DATA while ASP-INACTIVE gets
// ERR(Unexpected Message) and is not delivered; while ACTIVE it is.
func TestRFC4666_ASP_DataOnlyWhenActive(t *testing.T) {
	_, r := aspRig(t, func(c *ASPConfig) { c.Target = ASPInactive })
	r.step(AssocUp{Assoc: 1, Streams: 4})
	r.in(1, mkMsg(KindASPUPAck))
	acts := r.step(MessageIn{Assoc: 1, Stream: 1, Msg: mkData(100, 200, 5, 1)})
	wantErr(t, sentTo(acts, 1)[0], ErrUnexpectedMessage)
	if len(notifies(acts, NotifyDeliver)) != 0 {
		t.Fatal("delivered")
	}
	r.step(ASPActiveRequest{})
	r.in(1, mkMsg(KindASPACAck))
	if len(notifies(r.step(MessageIn{Assoc: 1, Stream: 1, Msg: mkData(100, 200, 5, 1)}), NotifyDeliver)) != 1 {
		t.Fatal("not delivered")
	}
}

// ETSI TS 102 381 M3UA_ASP_MTR_V_001..003: the ASP sends DATA with its
// Routing Context on a non-zero stream fixed per SLS.
func TestETSI_ASP_MTR_V_001_V_003_DataWithRCOnSLSStream(t *testing.T) {
	_, r := aspRig(t)
	r.activate()
	for sls := range uint8(16) {
		s := sendsOf(r.step(Transfer{Msg: mkData(200, 100, 5, sls)}))
		if len(s) != 1 || s[0].Stream != StreamFor(uint32(sls), 4) || s[0].Stream == 0 || s[0].Msg.RoutingContexts[0] != 10 {
			t.Fatalf("sls %d: %+v", sls, s)
		}
	}
}

// ETSI TS 102 381 M3UA_ASP_SSNM_001 / 003 / 005: after DUNA, DRST or SCON
// the ASP records the destination state and audits it with DAUD; DAVA
// ends the audit.
func TestETSI_ASP_SSNM_001_DUNAThenDAUD(t *testing.T) {
	a, r := aspRig(t, func(c *ASPConfig) { c.AuditInterval = 5 * time.Second })
	r.activate()
	d := mkMsg(KindDUNA)
	d.AffectedPointCodes = []AffectedPointCode{{PointCode: 300}}
	acts := r.in(1, d)
	if n := notifies(acts, NotifyDestination); len(n) != 1 || n[0].DestState != DestUnavailable {
		t.Fatalf("notify %+v", n)
	}
	if a.Destination(300).State != DestUnavailable {
		t.Fatal("table not updated")
	}
	r.take()
	r.advance(5 * time.Second)
	got := sentTo(r.take(), 1)
	wantKinds(t, got, KindDAUD)
	if got[0].AffectedPointCodes[0].PointCode != 300 {
		t.Fatalf("DAUD %+v", got[0].AffectedPointCodes)
	}
	v := mkMsg(KindDAVA)
	v.AffectedPointCodes = []AffectedPointCode{{PointCode: 300}}
	r.in(1, v)
	r.take()
	r.advance(time.Minute)
	if len(sendsOf(r.take())) != 0 {
		t.Fatal("audit continued after DAVA")
	}
}

// End to end (RFC 4666 sections 4.3.2 and 4.3.4.5): two GWC ASPs in
// override against the SG's SGP. The active GWC's association fails while
// SS7 traffic flows: the AS is PENDING and buffers, the standby hears "ASP
// Failure", activates within T(r) and receives every message, in order.
func TestRFC4666_Sim_OverrideFailoverNoMessageLost(t *testing.T) {
	sgp, err := NewSGP(SGPConfig{Protocol: M3UA, ASes: []ASConfig{{RoutingContext: 10,
		TrafficMode: TrafficModeOverride, Keys: []RoutingKey{{DPC: fsmPtr(uint32(100))}}}}})
	if err != nil {
		t.Fatal(err)
	}
	n := newSimNet(t, sgp)
	for id := AssocID(1); id <= 2; id++ {
		target := ASPActive
		if id == 2 {
			target = ASPInactive // standby
		}
		asp, err := NewASP(id, ASPConfig{Protocol: M3UA, ASPIdentifier: fsmPtr(uint32(id)), RoutingContexts: []uint32{10},
			TrafficMode: TrafficModeOverride, Target: target})
		if err != nil {
			t.Fatal(err)
		}
		n.addASP(id, asp)
	}
	// The standby's application activates when told of an ASP failure.
	n.onNotify = func(assoc AssocID, x Notify) {
		if assoc == 2 && x.Kind == NotifyStatus && x.Msg.Status.Info == StatusASPFailure {
			n.input(2, ASPActiveRequest{})
		}
	}
	n.run(0)
	if sgp.ASState(10) != ASActive || sgp.ASPState(1) != ASPActive || sgp.ASPState(2) != ASPInactive {
		t.Fatalf("AS %v ASP1 %v ASP2 %v", sgp.ASState(10), sgp.ASPState(1), sgp.ASPState(2))
	}
	sent := 0
	for i := range 10 {
		n.input(0, Transfer{Msg: mkData(200, 100, 5, uint8(i), byte(sent))})
		sent++
	}
	n.run(0)
	// ASP 1 fails, but the SGP learns it only now: traffic in between is
	// buffered, then the failover happens within T(r).
	n.down(1)
	for i := range 10 {
		n.input(0, Transfer{Msg: mkData(200, 100, 5, uint8(i), byte(sent))})
		sent++
	}
	n.run(time.Second)
	for i := range 10 {
		n.input(0, Transfer{Msg: mkData(200, 100, 5, uint8(i), byte(sent))})
		sent++
	}
	n.run(0)
	var got []byte
	for _, assoc := range []AssocID{1, 2} {
		for _, m := range n.delivered[assoc] {
			got = append(got, m.ProtocolData.Payload[0])
		}
	}
	if len(got) != sent {
		t.Fatalf("delivered %d of %d: %v", len(got), sent, got)
	}
	for i, b := range got {
		if int(b) != i {
			t.Fatalf("out of order: %v", got)
		}
	}
	if sgp.ASState(10) != ASActive || sgp.ASPState(2) != ASPActive {
		t.Fatalf("AS %v ASP2 %v", sgp.ASState(10), sgp.ASPState(2))
	}
}

// With RetryRefused, a request the SGP refused by ERR is asked again after
// that long, toward the same target; a request of the user in between
// replaces it, and an association lost meanwhile starts over toward it.
func TestASPRetriesRefusedRequest(t *testing.T) {
	a, r := aspRig(t, func(c *ASPConfig) { c.RetryRefused = 5 * time.Second })
	refuse := func() []Action {
		e := mkMsg(KindERR)
		e.ErrorCode = ErrRefusedManagementBlocking
		return r.in(1, e)
	}
	wantKinds(t, sentTo(r.step(AssocUp{Assoc: 1, Streams: 4}), 1), KindASPUP)
	if f := notifies(refuse(), NotifyRequestFailed); len(f) != 1 || f[0].Request != KindASPUP {
		t.Fatalf("refusal: %+v", f)
	}
	r.take()
	r.advance(5*time.Second - time.Millisecond)
	if got := sentTo(r.take(), 1); len(got) != 0 {
		t.Fatalf("asked again early: %v", kindsOf(got))
	}
	r.advance(time.Millisecond)
	wantKinds(t, sentTo(r.take(), 1), KindASPUP)
	// Up now; ASP Active refused, then the association is lost while the
	// retry waits: the next association goes all the way up at once.
	wantKinds(t, sentTo(r.in(1, mkMsg(KindASPUPAck)), 1), KindASPAC)
	refuse()
	r.step(AssocDown{Assoc: 1})
	wantKinds(t, sentTo(r.step(AssocUp{Assoc: 1, Streams: 4}), 1), KindASPUP)
	wantKinds(t, sentTo(r.in(1, mkMsg(KindASPUPAck)), 1), KindASPAC)
	refuse()
	// The user asks for ASP-DOWN: no retry of ASP Active any more.
	wantKinds(t, sentTo(r.step(ASPDownRequest{}), 1), KindASPDN)
	r.in(1, mkMsg(KindASPDNAck))
	r.take()
	r.advance(time.Minute)
	if got := sentTo(r.take(), 1); len(got) != 0 || a.State() != ASPDown {
		t.Fatalf("after the user's down request: sent %v, state %v", kindsOf(got), a.State())
	}
	// Without RetryRefused a refusal is final (TestRFC4666_4_3_4_1_AbortUnanswered).
}
