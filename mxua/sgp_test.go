package mxua

import (
	"bytes"
	"testing"
	"time"
)

// SGP test cases modelled on ETSI TS 102 381 (M3UA conformance, as listed
// by nplab's m3ua-testtool, m3ua-sgp-*) and RFC 4666 section 4.3.4. The
// test name carries the case identifier; the comment says what it checks.

// ETSI TS 102 381 M3UA_SGP_ASPSM_V_001: ASP Up is answered by ASP Up Ack.
func TestETSI_SGP_ASPSM_V_001_ASPUPAck(t *testing.T) {
	s, r := sgpRig(t, TrafficModeLoadshare)
	r.step(AssocUp{Assoc: 1, Streams: 2})
	got := sentTo(r.in(1, aspUp(7)), 1)
	if got[0].Kind != KindASPUPAck {
		t.Fatalf("sent %v", kindsOf(got))
	}
	if s.ASPState(1) != ASPInactive {
		t.Fatalf("ASP state %v", s.ASPState(1))
	}
}

// ETSI TS 102 381 M3UA_SGP_ASPSM_V_003: ASP Up Ack is followed by
// NTFY(AS state change, AS-INACTIVE).
func TestETSI_SGP_ASPSM_V_003_ASPUPNotifyASInactive(t *testing.T) {
	s, r := sgpRig(t, TrafficModeLoadshare)
	r.step(AssocUp{Assoc: 1, Streams: 2})
	got := sentTo(r.in(1, aspUp(7)), 1)
	wantKinds(t, got, KindASPUPAck, KindNTFY)
	wantNtfy(t, got[1], StatusTypeASStateChange, StatusASInactive)
	if got[1].RoutingContexts[0] != 10 || s.ASState(10) != ASInactive {
		t.Fatalf("NTFY rc %v, AS %v", got[1].RoutingContexts, s.ASState(10))
	}
}

// ETSI TS 102 381 M3UA_SGP_ASPSM_V_005: ASP Down from ASP-INACTIVE is
// acknowledged; the ASP and its AS are down.
func TestETSI_SGP_ASPSM_V_005_ASPDNAck(t *testing.T) {
	s, r := sgpRig(t, TrafficModeLoadshare)
	r.up(1, 7)
	wantKinds(t, sentTo(r.in(1, mkMsg(KindASPDN)), 1), KindASPDNAck)
	if s.ASPState(1) != ASPDown || s.ASState(10) != ASDown {
		t.Fatalf("ASP %v AS %v", s.ASPState(1), s.ASState(10))
	}
}

// RFC 4666 section 4.3.4.2: ASP Down straight from ASP-ACTIVE is
// acknowledged; the AS goes PENDING and T(r) runs.
func TestRFC4666_4_3_4_2_SGP_ASPDNFromActive(t *testing.T) {
	s, r := sgpRig(t, TrafficModeLoadshare)
	r.up(1, 7)
	r.active(1, TrafficModeLoadshare)
	acts := r.in(1, mkMsg(KindASPDN))
	wantKinds(t, sentTo(acts, 1), KindASPDNAck)
	if s.ASPState(1) != ASPDown || s.ASState(10) != ASPending {
		t.Fatalf("ASP %v AS %v", s.ASPState(1), s.ASState(10))
	}
	if _, ok := r.timerSet[TimerID{Kind: TimerRecovery, RoutingContext: 10}]; !ok {
		t.Fatal("T(r) not running")
	}
	r.advance(DefaultTRecovery)
	if s.ASState(10) != ASDown {
		t.Fatalf("AS %v after T(r)", s.ASState(10))
	}
}

// ETSI TS 102 381 M3UA_SGP_ASPSM_V_009: an ASP blocked by management gets
// ERR(Refused - Management Blocking).
func TestETSI_SGP_ASPSM_V_009_ManagementBlocking(t *testing.T) {
	s, r := sgpRig(t, TrafficModeLoadshare, func(c *SGPConfig) { c.BlockedASPs = []uint32{7} })
	r.step(AssocUp{Assoc: 1, Streams: 2})
	got := sentTo(r.in(1, aspUp(7)), 1)
	wantKinds(t, got, KindERR)
	wantErr(t, got[0], ErrRefusedManagementBlocking)
	if s.ASPState(1) != ASPDown {
		t.Fatal("blocked ASP came up")
	}
}

// RFC 4666 section 3.8.1 (errors 0x0e, 0x0f): an SGP that requires the
// ASP Identifier refuses an ASP Up without one, and one it does not know.
func TestRFC4666_3_8_1_SGP_ASPIdentifierRequiredAndInvalid(t *testing.T) {
	_, r := sgpRig(t, TrafficModeLoadshare, func(c *SGPConfig) {
		c.RequireASPIdentifier = true
		c.KnownASPs = []uint32{7, 8}
	})
	r.step(AssocUp{Assoc: 1, Streams: 2})
	wantErr(t, sentTo(r.in(1, mkMsg(KindASPUP)), 1)[0], ErrASPIdentifierRequired)
	wantErr(t, sentTo(r.in(1, aspUp(99)), 1)[0], ErrInvalidASPIdentifier)
	if got := sentTo(r.in(1, aspUp(7)), 1); got[0].Kind != KindASPUPAck {
		t.Fatalf("known id: %v", kindsOf(got))
	}
	// A second association claiming the same identifier is refused.
	r.step(AssocUp{Assoc: 2, Streams: 2})
	wantErr(t, sentTo(r.in(2, aspUp(7)), 2)[0], ErrInvalidASPIdentifier)
}

// ETSI TS 102 381 M3UA_SGP_ASPSM_I_002 / I_004: an undefined ASPSM message
// type gets ERR(Unsupported Message Type), in ASP-DOWN and ASP-INACTIVE.
func TestETSI_SGP_ASPSM_I_002_I_004_UnsupportedMessageType(t *testing.T) {
	_, r := sgpRig(t, TrafficModeLoadshare)
	r.step(AssocUp{Assoc: 1, Streams: 2})
	wantErr(t, sentTo(r.in(1, mkMsg(NewKind(ClassASPSM, 7))), 1)[0], ErrUnsupportedMessageType)
	r.in(1, aspUp(7))
	wantErr(t, sentTo(r.in(1, mkMsg(NewKind(ClassASPSM, 7))), 1)[0], ErrUnsupportedMessageType)
}

// ETSI TS 102 381 M3UA_SGP_ASPSM_I_003: ASP Active from an ASP in
// ASP-DOWN gets ERR(Unexpected Message).
func TestETSI_SGP_ASPSM_I_003_ASPACInASPDown(t *testing.T) {
	s, r := sgpRig(t, TrafficModeLoadshare)
	r.step(AssocUp{Assoc: 1, Streams: 2})
	got := sentTo(r.in(1, aspAc(TrafficModeLoadshare)), 1)
	wantKinds(t, got, KindERR)
	wantErr(t, got[0], ErrUnexpectedMessage)
	if s.ASPState(1) != ASPDown {
		t.Fatal("state changed")
	}
}

// ETSI TS 102 381 M3UA_SGP_ASPSM_O_001: a second ASP Up in ASP-INACTIVE is
// acknowledged again and changes nothing.
func TestETSI_SGP_ASPSM_O_001_DuplicateASPUP(t *testing.T) {
	s, r := sgpRig(t, TrafficModeLoadshare)
	r.up(1, 7)
	wantKinds(t, sentTo(r.in(1, aspUp(7)), 1), KindASPUPAck)
	if s.ASPState(1) != ASPInactive || s.ASState(10) != ASInactive {
		t.Fatal("state changed")
	}
}

// ETSI TS 102 381 M3UA_SGP_ASPSM_O_003: ASP Up from an ASP-ACTIVE ASP gets
// ERR(Unexpected Message) and ASP Up Ack; the ASP is INACTIVE, its AS
// PENDING and, after T(r), INACTIVE (both notified).
func TestETSI_SGP_ASPSM_O_003_ASPUPWhileActive(t *testing.T) {
	s, r := sgpRig(t, TrafficModeLoadshare)
	r.up(1, 7)
	r.active(1, TrafficModeLoadshare)
	got := sentTo(r.in(1, aspUp(7)), 1)
	wantKinds(t, got, KindERR, KindASPUPAck, KindNTFY)
	wantErr(t, got[0], ErrUnexpectedMessage)
	wantNtfy(t, got[2], StatusTypeASStateChange, StatusASPending)
	if s.ASPState(1) != ASPInactive || s.ASState(10) != ASPending {
		t.Fatalf("ASP %v AS %v", s.ASPState(1), s.ASState(10))
	}
	r.take()
	r.advance(DefaultTRecovery)
	got = sentTo(r.take(), 1)
	wantKinds(t, got, KindNTFY)
	wantNtfy(t, got[0], StatusTypeASStateChange, StatusASInactive)
}

// ETSI TS 102 381 M3UA_SGP_ASPSM_O_004: ASP Down from an ASP already in
// ASP-DOWN is acknowledged (RFC 4666 section 4.3.4.2).
func TestETSI_SGP_ASPSM_O_004_ASPDNInASPDown(t *testing.T) {
	_, r := sgpRig(t, TrafficModeLoadshare)
	r.step(AssocUp{Assoc: 1, Streams: 2})
	wantKinds(t, sentTo(r.in(1, mkMsg(KindASPDN)), 1), KindASPDNAck)
}

// ETSI TS 102 381 M3UA_SGP_ASPTM_V_001 / V_003 / V_005: ASP Active is
// acknowledged with the Routing Context and followed by NTFY(AS-ACTIVE).
func TestETSI_SGP_ASPTM_V_001_V_003_V_005_ASPACAckNotifyActive(t *testing.T) {
	s, r := sgpRig(t, TrafficModeLoadshare)
	r.up(1, 7)
	got := sentTo(r.in(1, aspAc(TrafficModeLoadshare, 10)), 1)
	wantKinds(t, got, KindASPACAck, KindNTFY)
	if len(got[0].RoutingContexts) != 1 || got[0].RoutingContexts[0] != 10 {
		t.Fatalf("ASPAC ACK rc %v", got[0].RoutingContexts)
	}
	wantNtfy(t, got[1], StatusTypeASStateChange, StatusASActive)
	if s.ASPState(1) != ASPActive || s.ASState(10) != ASActive {
		t.Fatalf("ASP %v AS %v", s.ASPState(1), s.ASState(10))
	}
}

// ETSI TS 102 381 M3UA_SGP_ASPTM_V_006 / V_008: ASP Inactive from the only
// active ASP is acknowledged and followed by NTFY(AS-PENDING).
func TestETSI_SGP_ASPTM_V_006_V_008_ASPIAAckNotifyPending(t *testing.T) {
	s, r := sgpRig(t, TrafficModeLoadshare)
	r.up(1, 7)
	r.active(1, TrafficModeLoadshare)
	got := sentTo(r.in(1, aspIa()), 1)
	wantKinds(t, got, KindASPIAAck, KindNTFY)
	wantNtfy(t, got[1], StatusTypeASStateChange, StatusASPending)
	if s.ASPState(1) != ASPInactive || s.ASState(10) != ASPending {
		t.Fatalf("ASP %v AS %v", s.ASPState(1), s.ASState(10))
	}
}

// ETSI TS 102 381 M3UA_SGP_ASPTM_V_010 / V_011: BEAT is answered by a BEAT
// ACK carrying the heartbeat data unchanged.
func TestETSI_SGP_ASPTM_V_010_V_011_BEATEcho(t *testing.T) {
	_, r := sgpRig(t, TrafficModeLoadshare)
	r.up(1, 7)
	r.active(1, TrafficModeLoadshare)
	b := mkMsg(KindBEAT)
	b.HeartbeatData = []byte("M3UA rocks, 13")
	got := sentTo(r.in(1, b), 1)
	wantKinds(t, got, KindBEATAck)
	if !bytes.Equal(got[0].HeartbeatData, b.HeartbeatData) {
		t.Fatalf("echo %q", got[0].HeartbeatData)
	}
}

// RFC 4666 section 4.3.4.6: BEAT is answered in every ASP state, not only
// ASP-ACTIVE (go-m3ua answers only there).
func TestRFC4666_4_3_4_6_SGP_BEATInEveryASPState(t *testing.T) {
	_, r := sgpRig(t, TrafficModeLoadshare)
	r.step(AssocUp{Assoc: 1, Streams: 2})
	b := mkMsg(KindBEAT)
	b.HeartbeatData = []byte{1, 2, 3}
	wantKinds(t, sentTo(r.in(1, b), 1), KindBEATAck) // ASP-DOWN
	r.in(1, aspUp(7))
	wantKinds(t, sentTo(r.in(1, b), 1), KindBEATAck) // ASP-INACTIVE
}

// ETSI TS 102 381 M3UA_SGP_ASPTM_V_013: in a broadcast AS needing two
// active ASPs, the ASP that goes inactive leaving one is sent
// NTFY(Other, Insufficient ASP resources active).
func TestETSI_SGP_ASPTM_V_013_InsufficientASPResources(t *testing.T) {
	_, r := sgpRig(t, TrafficModeBroadcast, func(c *SGPConfig) { c.ASes[0].MinActive = 2 })
	r.up(1, 1)
	r.active(1, TrafficModeBroadcast)
	r.up(2, 2)
	r.active(2, TrafficModeBroadcast)
	r.take()
	got := sentTo(r.in(1, aspIa()), 1)
	wantKinds(t, got, KindASPIAAck, KindNTFY)
	wantNtfy(t, got[1], StatusTypeOther, StatusInsufficientASPResources)
	if len(sentTo(r.take(), 2)) != 0 {
		t.Fatal("the active ASP was notified")
	}
}

// ETSI TS 102 381 M3UA_SGP_ASPTM_V_014 / V_015: in override mode a second
// ASP's ASP Active takes over; the previously active ASP gets
// NTFY(Alternate ASP Active) carrying the new ASP's Identifier, and the
// traffic moves to the new ASP.
func TestETSI_SGP_ASPTM_V_014_V_015_OverrideTakeover(t *testing.T) {
	s, r := sgpRig(t, TrafficModeOverride)
	r.up(1, 1)
	r.up(2, 2)
	r.active(2, TrafficModeOverride)
	r.take()
	acts := r.in(1, aspAc(TrafficModeOverride))
	wantKinds(t, sentTo(acts, 1), KindASPACAck)
	old := sentTo(acts, 2)
	wantKinds(t, old, KindNTFY)
	wantNtfy(t, old[0], StatusTypeOther, StatusAlternateASPActive)
	if old[0].ASPIdentifier == nil || *old[0].ASPIdentifier != 1 {
		t.Fatalf("NTFY ASP Identifier %v", old[0].ASPIdentifier)
	}
	if s.ASPState(2) != ASPInactive || s.ASPState(1) != ASPActive || s.ASState(10) != ASActive {
		t.Fatalf("ASP1 %v ASP2 %v AS %v", s.ASPState(1), s.ASPState(2), s.ASState(10))
	}
	got := sendsOf(r.step(Transfer{Msg: mkData(200, 100, 3, 5)}))
	if len(got) != 1 || got[0].Assoc != 1 {
		t.Fatalf("traffic went to %+v", got)
	}
}

// ETSI TS 102 381 M3UA_SGP_ASPTM_I_003: ASP Active asking for a traffic
// mode other than the AS's (broadcast for a loadshare AS) gets
// ERR(Unsupported Traffic Mode Type).
func TestETSI_SGP_ASPTM_I_003_TrafficModeMismatch(t *testing.T) {
	s, r := sgpRig(t, TrafficModeLoadshare)
	r.up(1, 7)
	got := sentTo(r.in(1, aspAc(TrafficModeBroadcast)), 1)
	wantKinds(t, got, KindERR)
	wantErr(t, got[0], ErrUnsupportedTrafficMode)
	if s.ASPState(1) != ASPInactive {
		t.Fatal("activated")
	}
}

// RFC 4666 section 4.3.4.3: without a provisioned mode, the first ASP
// Active sets it; a later ASP asking for another mode is refused.
func TestRFC4666_4_3_4_3_SGP_FirstASPACSetsTrafficMode(t *testing.T) {
	_, r := sgpRig(t, TrafficModeNone)
	r.up(1, 1)
	r.active(1, TrafficModeOverride)
	r.up(2, 2)
	wantErr(t, sentTo(r.in(2, aspAc(TrafficModeLoadshare)), 2)[0], ErrUnsupportedTrafficMode)
}

// ETSI TS 102 381 M3UA_SGP_ASPTM_I_004: an undefined traffic mode (4) gets
// ERR(Unsupported Traffic Mode Type).
func TestETSI_SGP_ASPTM_I_004_InvalidTrafficMode(t *testing.T) {
	_, r := sgpRig(t, TrafficModeLoadshare)
	r.up(1, 7)
	wantErr(t, sentTo(r.in(1, aspAc(4)), 1)[0], ErrUnsupportedTrafficMode)
}

// ETSI TS 102 381 M3UA_SGP_ASPTM_I_005: ASP Active with an unconfigured
// Routing Context gets ERR(Invalid Routing Context) listing it.
func TestETSI_SGP_ASPTM_I_005_InvalidRoutingContext(t *testing.T) {
	s, r := sgpRig(t, TrafficModeLoadshare)
	r.up(1, 7)
	got := sentTo(r.in(1, aspAc(TrafficModeLoadshare, 999)), 1)
	wantErr(t, got[0], ErrInvalidRoutingContext)
	if len(got[0].RoutingContexts) != 1 || got[0].RoutingContexts[0] != 999 {
		t.Fatalf("ERR rc %v", got[0].RoutingContexts)
	}
	if s.ASPState(1) != ASPInactive {
		t.Fatal("activated")
	}
	// Also for ASP Inactive.
	wantErr(t, sentTo(r.in(1, aspIa(999)), 1)[0], ErrInvalidRoutingContext)
}

// RFC 4666 section 3.8.1 (error 0x1a): ASP Active without Routing Context
// from an ASP no AS is configured for gets ERR(No Configured AS for ASP).
func TestRFC4666_3_8_1_SGP_NoConfiguredASForASP(t *testing.T) {
	_, r := sgpRig(t, TrafficModeLoadshare, func(c *SGPConfig) { c.ASes[0].ASPs = []uint32{1} })
	r.up(1, 5) // ASP 5 may come up but serves no AS
	wantErr(t, sentTo(r.in(1, aspAc(TrafficModeLoadshare)), 1)[0], ErrNoConfiguredASForASP)
	// Naming the AS it may not serve is an invalid routing context.
	wantErr(t, sentTo(r.in(1, aspAc(TrafficModeLoadshare, 10)), 1)[0], ErrInvalidRoutingContext)
}

// ETSI TS 102 381 M3UA_SGP_ASPTM_I_006 / I_008: an undefined ASPTM message
// type gets ERR(Unsupported Message Type) in ASP-INACTIVE and ASP-ACTIVE.
func TestETSI_SGP_ASPTM_I_006_I_008_UnsupportedASPTMType(t *testing.T) {
	_, r := sgpRig(t, TrafficModeLoadshare)
	r.up(1, 7)
	wantErr(t, sentTo(r.in(1, mkMsg(NewKind(ClassASPTM, 5))), 1)[0], ErrUnsupportedMessageType)
	r.active(1, TrafficModeLoadshare)
	wantErr(t, sentTo(r.in(1, mkMsg(NewKind(ClassASPTM, 5))), 1)[0], ErrUnsupportedMessageType)
}

// ETSI TS 102 381 M3UA_SGP_ASPTM_I_009 (RFC 4666 section 4.3.4.5): when the
// active ASP of an override AS fails, the INACTIVE ASPs are sent
// NTFY(Other, ASP Failure) with the failed ASP's Identifier.
func TestETSI_SGP_ASPTM_I_009_ASPFailureNotify(t *testing.T) {
	s, r := sgpRig(t, TrafficModeOverride)
	r.up(1, 1)
	r.active(1, TrafficModeOverride)
	r.up(2, 2)
	r.take()
	acts := r.step(AssocDown{Assoc: 1, Reason: "SCTP shutdown"})
	got := sentTo(acts, 2)
	wantKinds(t, got, KindNTFY, KindNTFY)
	wantNtfy(t, got[0], StatusTypeOther, StatusASPFailure)
	if got[0].ASPIdentifier == nil || *got[0].ASPIdentifier != 1 {
		t.Fatalf("ASP Identifier %v", got[0].ASPIdentifier)
	}
	wantNtfy(t, got[1], StatusTypeASStateChange, StatusASPending)
	if s.ASState(10) != ASPending {
		t.Fatalf("AS %v", s.ASState(10))
	}
}

// ETSI TS 102 381 M3UA_SGP_ASPTM_O_001: ASP Active from an ASP-ACTIVE ASP
// is acknowledged again, without a new NTFY.
func TestETSI_SGP_ASPTM_O_001_DuplicateASPAC(t *testing.T) {
	_, r := sgpRig(t, TrafficModeLoadshare)
	r.up(1, 7)
	r.active(1, TrafficModeLoadshare)
	wantKinds(t, sentTo(r.in(1, aspAc(TrafficModeLoadshare)), 1), KindASPACAck)
}

// ETSI TS 102 381 M3UA_SGP_ASPTM_O_003: ASP Inactive from an ASP-INACTIVE
// ASP is acknowledged.
func TestETSI_SGP_ASPTM_O_003_ASPIAInInactive(t *testing.T) {
	s, r := sgpRig(t, TrafficModeLoadshare)
	r.up(1, 7)
	wantKinds(t, sentTo(r.in(1, aspIa()), 1), KindASPIAAck)
	if s.ASState(10) != ASInactive {
		t.Fatalf("AS %v", s.ASState(10))
	}
}

// RFC 4666 section 4.3.4.4: ASP Inactive from an ASP in ASP-DOWN gets
// ERR(Unexpected Message).
func TestRFC4666_4_3_4_4_SGP_ASPIAInASPDown(t *testing.T) {
	_, r := sgpRig(t, TrafficModeLoadshare)
	r.step(AssocUp{Assoc: 1, Streams: 2})
	wantErr(t, sentTo(r.in(1, aspIa()), 1)[0], ErrUnexpectedMessage)
}

// ETSI TS 102 381 M3UA_SGP_MTR_V_001 / V_002: DATA from an active ASP is
// delivered to the SG with the routing context of its AS.
func TestETSI_SGP_MTR_V_002_DataDelivered(t *testing.T) {
	_, r := sgpRig(t, TrafficModeLoadshare)
	r.up(1, 7)
	r.active(1, TrafficModeLoadshare)
	d := mkData(100, 200, 5, 3, 1, 0)
	acts := r.step(MessageIn{Assoc: 1, Stream: 1, Msg: d})
	n := notifies(acts, NotifyDeliver)
	if len(n) != 1 || n[0].Msg != d || n[0].RoutingContext != 10 || len(sendsOf(acts)) != 0 {
		t.Fatalf("actions %+v", acts)
	}
}

// ETSI TS 102 381 M3UA_SGP_MTR_V_003 (nplab change request): DATA on stream
// 0 gets ERR(Invalid Stream Identifier).
func TestETSI_SGP_MTR_V_003_Alt_DataOnStream0(t *testing.T) {
	_, r := sgpRig(t, TrafficModeLoadshare)
	r.up(1, 7)
	r.active(1, TrafficModeLoadshare)
	acts := r.step(MessageIn{Assoc: 1, Stream: 0, Msg: mkData(100, 200, 5, 3)})
	wantErr(t, sentTo(acts, 1)[0], ErrInvalidStreamIdentifier)
	if len(notifies(acts, NotifyDeliver)) != 0 {
		t.Fatal("delivered")
	}
}

// ETSI TS 102 381 M3UA_SGP_MTR_V_002 (nplab change request): DATA without
// Protocol Data gets ERR(Missing Parameter).
func TestETSI_SGP_MTR_V_002_Alt_DataMissingProtocolData(t *testing.T) {
	_, r := sgpRig(t, TrafficModeLoadshare)
	r.up(1, 7)
	r.active(1, TrafficModeLoadshare)
	wantErr(t, sentTo(r.step(MessageIn{Assoc: 1, Stream: 1, Msg: mkMsg(KindDATA)}), 1)[0], ErrMissingParameter)
}

// ETSI TS 102 381 M3UA_SGP_MTR_I_002 / I_003: an undefined message class
// (10) gets ERR(Unsupported Message Class); an undefined transfer message
// type gets ERR(Unsupported Message Type).
func TestETSI_SGP_MTR_I_002_I_003_UnsupportedClassAndType(t *testing.T) {
	_, r := sgpRig(t, TrafficModeLoadshare)
	r.up(1, 7)
	r.active(1, TrafficModeLoadshare)
	wantErr(t, sentTo(r.in(1, mkMsg(NewKind(10, 1))), 1)[0], ErrUnsupportedMessageClass)
	wantErr(t, sentTo(r.in(1, mkMsg(NewKind(ClassTransfer, 2))), 1)[0], ErrUnsupportedMessageType)
	// SUA connectionless traffic on an M3UA association.
	wantErr(t, sentTo(r.in(1, mkMsg(KindCLDT)), 1)[0], ErrUnsupportedMessageClass)
}

// RFC 4666 section 4.3.4.3 / ETSI TS 102 381 M3UA_SGP_MTR: DATA from an
// ASP in ASP-INACTIVE gets ERR(Unexpected Message) and is not delivered.
func TestRFC4666_SGP_DataInASPInactive(t *testing.T) {
	_, r := sgpRig(t, TrafficModeLoadshare)
	r.up(1, 7)
	acts := r.step(MessageIn{Assoc: 1, Stream: 1, Msg: mkData(100, 200, 5, 3)})
	wantErr(t, sentTo(acts, 1)[0], ErrUnexpectedMessage)
	if len(notifies(acts, NotifyDeliver)) != 0 {
		t.Fatal("delivered")
	}
}

// ETSI TS 102 381 M3UA_SGP_SSNM_001..004: DAUD is answered per destination
// state: SCON for a congested, DRST for a restricted, DUNA for an
// unavailable, DAVA for an available one; ERR(Destination Status Unknown)
// for one the SG knows nothing of.
func TestETSI_SGP_SSNM_001_004_DAUDAnswer(t *testing.T) {
	_, r := sgpRig(t, TrafficModeLoadshare)
	r.up(1, 7)
	r.active(1, TrafficModeLoadshare)
	for pc, st := range map[uint32]DestState{301: DestCongested, 302: DestRestricted, 303: DestUnavailable, 304: DestAvailable} {
		r.step(SetDestination{Destination: Destination{PointCode: pc, State: st, CongestionLevel: 2}})
	}
	r.take()
	for pc, want := range map[uint32]Kind{301: KindSCON, 302: KindDRST, 303: KindDUNA, 304: KindDAVA} {
		d := mkMsg(KindDAUD)
		d.AffectedPointCodes = []AffectedPointCode{{PointCode: pc}}
		got := sentTo(r.in(1, d), 1)
		wantKinds(t, got, want)
		if got[0].AffectedPointCodes[0].PointCode != pc {
			t.Fatalf("answer for %d: %+v", pc, got[0].AffectedPointCodes)
		}
	}
	d := mkMsg(KindDAUD)
	d.AffectedPointCodes = []AffectedPointCode{{PointCode: 999}}
	wantErr(t, sentTo(r.in(1, d), 1)[0], ErrDestinationStatusUnknown)
	// A masked audit covers the range: mask 3 is 296..303, not 304.
	d.AffectedPointCodes = []AffectedPointCode{{Mask: 3, PointCode: 300}}
	wantKinds(t, sentTo(r.in(1, d), 1), KindSCON, KindDRST, KindDUNA)
}

// RFC 4666 section 4.5.1: when a destination (or the pool behind the SG)
// becomes unavailable the SGP sends DUNA to the active ASPs only, DAVA
// when it is back, nothing when the state does not change.
func TestRFC4666_4_5_1_SGP_DUNAAndDAVAOnDestinationChange(t *testing.T) {
	_, r := sgpRig(t, TrafficModeLoadshare)
	r.up(1, 1)
	r.active(1, TrafficModeLoadshare)
	r.up(2, 2) // INACTIVE: no SSNM
	r.take()
	acts := r.step(SetDestination{Destination: Destination{PointCode: 500, State: DestUnavailable}})
	wantKinds(t, sentTo(acts, 1), KindDUNA)
	if len(sentTo(acts, 2)) != 0 {
		t.Fatal("inactive ASP got DUNA")
	}
	if m := sentTo(acts, 1)[0]; m.AffectedPointCodes[0].PointCode != 500 || m.RoutingContexts[0] != 10 {
		t.Fatalf("DUNA %+v", m)
	}
	if len(r.step(SetDestination{Destination: Destination{PointCode: 500, State: DestUnavailable}})) != 0 {
		t.Fatal("unchanged state re-announced")
	}
	wantKinds(t, sentTo(r.step(SetDestination{Destination: Destination{PointCode: 500, State: DestAvailable}}), 1), KindDAVA)
	got := sentTo(r.step(UserPartUnavailable{PointCode: 500, User: 5, Cause: 2}), 1)
	wantKinds(t, got, KindDUPU)
	if got[0].UserCause.User != 5 || got[0].UserCause.Cause != 2 {
		t.Fatalf("DUPU %+v", got[0].UserCause)
	}
}

// RFC 4666 section 4.3.2 (T(r)): traffic for an AS-PENDING AS is buffered;
// when T(r) expires with no ASP active the buffer is discarded (notified)
// and the AS goes INACTIVE.
func TestRFC4666_4_3_2_TrExpiryDiscardsBuffer(t *testing.T) {
	s, r := sgpRig(t, TrafficModeOverride)
	r.up(1, 1)
	r.active(1, TrafficModeOverride)
	r.in(1, aspIa())
	r.take()
	for i := range 3 {
		acts := r.step(Transfer{Msg: mkData(200, 100, 3, uint8(i))})
		if len(sendsOf(acts)) != 0 {
			t.Fatal("sent while pending")
		}
	}
	if s.Pending(10) != 3 {
		t.Fatalf("pending %d", s.Pending(10))
	}
	r.advance(DefaultTRecovery - time.Millisecond)
	if s.ASState(10) != ASPending {
		t.Fatal("T(r) expired early")
	}
	r.advance(time.Millisecond)
	acts := r.take()
	d := notifies(acts, NotifyDiscarded)
	if len(d) != 1 || d[0].Count != 3 || s.ASState(10) != ASInactive || s.Pending(10) != 0 {
		t.Fatalf("discard %+v AS %v", d, s.ASState(10))
	}
	// Traffic for an inactive AS is dropped with a notification.
	if d := notifies(r.step(Transfer{Msg: mkData(200, 100, 3, 0)}), NotifyDiscarded); len(d) != 1 {
		t.Fatal("no discard notification")
	}
}

// RFC 4666 section 4.3.2 (T(r)): an ASP that becomes active within T(r)
// receives the buffered traffic first, in order, then new traffic.
func TestRFC4666_4_3_2_PendingBufferDeliveredOnReactivation(t *testing.T) {
	s, r := sgpRig(t, TrafficModeOverride)
	r.up(1, 1)
	r.active(1, TrafficModeOverride)
	r.up(2, 2)
	r.step(AssocDown{Assoc: 1})
	for i := range 5 {
		r.step(Transfer{Msg: mkData(200, 100, 3, uint8(i), byte(i))})
	}
	r.take()
	r.advance(time.Second) // within T(r)
	acts := r.in(2, aspAc(TrafficModeOverride))
	got := sentTo(acts, 2)
	wantKinds(t, got, KindASPACAck, KindNTFY, KindDATA, KindDATA, KindDATA, KindDATA, KindDATA)
	for i, m := range got[2:] {
		if m.ProtocolData.Payload[0] != byte(i) || m.RoutingContexts[0] != 10 {
			t.Fatalf("buffered message %d: %+v", i, m.ProtocolData)
		}
	}
	if f := notifies(acts, NotifyFlushed); len(f) != 1 || f[0].Count != 5 {
		t.Fatalf("flushed %+v", f)
	}
	if s.ASState(10) != ASActive || s.Pending(10) != 0 {
		t.Fatal("not active")
	}
	r.advance(2 * time.Second)
	if len(notifies(r.take(), NotifyDiscarded)) != 0 {
		t.Fatal("T(r) still ran")
	}
}

// Loadshare by SLS (RFC 4666 section 4.1.1, osmo-stp's 128-bin table):
// each SLS bin sticks to one ASP; when that ASP fails only its bins move
// to the alternate and the others keep their ASP; when it is back its bins
// return. One SLS always uses one stream, never stream 0.
func TestRFC4666_4_1_1_LoadshareSLSBindingAndFailover(t *testing.T) {
	_, r := sgpRig(t, TrafficModeLoadshare)
	for a := AssocID(1); a <= 3; a++ {
		r.up(a, uint32(a))
		r.active(a, TrafficModeLoadshare)
	}
	route := func() map[[2]uint32]SendMessage {
		out := map[[2]uint32]SendMessage{}
		for _, opc := range []uint32{1, 2, 3, 4, 5, 6, 7, 8} {
			for sls := range uint8(16) {
				for range 2 { // the same SLS twice: same ASP, same stream
					s := sendsOf(r.step(Transfer{Msg: mkData(opc, 100, 3, sls)}))
					if len(s) != 1 || s[0].Stream == 0 {
						t.Fatalf("opc %d sls %d: %+v", opc, sls, s)
					}
					k := [2]uint32{opc, uint32(sls)}
					if prev, ok := out[k]; ok && (prev.Assoc != s[0].Assoc || prev.Stream != s[0].Stream) {
						t.Fatalf("opc %d sls %d moved within one run", opc, sls)
					}
					out[k] = s[0]
				}
			}
		}
		return out
	}
	before := route()
	per := map[AssocID]int{}
	for _, s := range before {
		per[s.Assoc]++
	}
	for a := AssocID(1); a <= 3; a++ {
		if per[a] < 16 {
			t.Fatalf("poor spread %v", per)
		}
	}
	r.step(AssocDown{Assoc: 2})
	during := route()
	for k, s := range before {
		if s.Assoc == 2 {
			if during[k].Assoc == 2 {
				t.Fatalf("%v still on the failed ASP", k)
			}
		} else if during[k].Assoc != s.Assoc {
			t.Fatalf("%v moved from %d to %d though its ASP is up", k, s.Assoc, during[k].Assoc)
		}
	}
	r.up(2, 2)
	r.active(2, TrafficModeLoadshare)
	after := route()
	for k, s := range before {
		if after[k].Assoc != s.Assoc {
			t.Fatalf("%v did not return: %d, was %d", k, after[k].Assoc, s.Assoc)
		}
	}
}

// RFC 4666 section 4.3.4.3 (broadcast): every active ASP gets a copy.
func TestRFC4666_4_3_4_3_BroadcastCopiesToAllActive(t *testing.T) {
	_, r := sgpRig(t, TrafficModeBroadcast)
	r.up(1, 1)
	r.active(1, TrafficModeBroadcast)
	r.up(2, 2)
	r.active(2, TrafficModeBroadcast)
	r.up(3, 3) // inactive
	acts := r.step(Transfer{Msg: mkData(200, 100, 3, 1)})
	if a := sortedAssocs(acts); len(a) != 2 || a[0] != 1 || a[1] != 2 {
		t.Fatalf("broadcast to %v", a)
	}
}

// RFC 4666 section 4.3.4.6 with the carrier profile (BEAT 100 ms x 3): a
// frozen ASP is declared lost within 600 ms even in ASP-INACTIVE, the
// association is aborted and the AS goes PENDING.
func TestRFC4666_4_3_4_6_SGP_PeerLostCarrierProfile(t *testing.T) {
	s, r := sgpRig(t, TrafficModeOverride, func(c *SGPConfig) { c.Profile = carrierProfile(t) })
	r.up(1, 1)
	r.active(1, TrafficModeOverride)
	r.up(2, 2) // standby, stays INACTIVE and answers BEATs
	r.take()
	start := r.now
	var lostAt time.Time
	for r.now.Sub(start) < time.Second && lostAt.IsZero() {
		r.advance(10 * time.Millisecond)
		for _, sm := range sendsOf(r.take()) {
			if sm.Msg.Kind == KindBEAT && sm.Assoc == 2 {
				r.in(2, beatAck(M3UA, sm.Msg))
			}
		}
		if s.ASState(10) == ASPending {
			lostAt = r.now
		}
	}
	if lostAt.IsZero() || lostAt.Sub(start) >= 600*time.Millisecond {
		t.Fatalf("peer lost after %v", lostAt.Sub(start))
	}
	if s.ASPState(1) != ASPDown || s.ASPState(2) != ASPInactive {
		t.Fatalf("ASP1 %v ASP2 %v", s.ASPState(1), s.ASPState(2))
	}
}

// Robustness: no message kind, state or missing field makes the SGP panic;
// undefined kinds always get an ERR.
func TestSGP_UnknownKindsNeverPanic(t *testing.T) {
	_, r := sgpRig(t, TrafficModeLoadshare)
	r.step(AssocUp{Assoc: 1, Streams: 2})
	for round := range 3 {
		switch round {
		case 1:
			r.in(1, aspUp(7))
		case 2:
			r.in(1, aspAc(TrafficModeLoadshare))
		}
		for class := range 12 {
			for typ := range 14 {
				k := NewKind(uint8(class), uint8(typ))
				if k == KindASPDN || k == KindASPIA || k == KindASPUP || k == KindASPAC {
					continue // state changes; tested elsewhere
				}
				acts := r.step(MessageIn{Assoc: 1, Stream: 1, Msg: mkMsg(k)})
				if fsmCheckKind(M3UA, k) != 0 {
					if got := sentTo(acts, 1); len(got) != 1 || got[0].Kind != KindERR {
						t.Fatalf("%v: sent %v", k, kindsOf(got))
					}
				}
			}
		}
	}
	r.step(MessageIn{Assoc: 1})                        // nil message
	r.step(MessageIn{Assoc: 42, Msg: mkMsg(KindDATA)}) // unknown association
	r.step(TimerFired{ID: TimerID{Kind: 99}})
	r.step(Transfer{Msg: mkMsg(KindDATA)})
}
