package mxua

import "testing"

// Routing key management at the SGP (RFC 4666 sections 3.6 and 4.4) and
// SUA per-subsystem SSNM (RFC 3868 sections 3.4 and 4.5).

func dynRig(t *testing.T, mut ...func(*SGPConfig)) (*SGP, *rig) {
	t.Helper()
	return sgpRig(t, TrafficModeLoadshare, append([]func(*SGPConfig){func(c *SGPConfig) { c.AllowDynamicRegistration = true }}, mut...)...)
}

func regReq(keys ...RoutingKeyParam) *Message {
	m := mkMsg(KindREGREQ)
	m.RoutingKeys = keys
	return m
}

func deregReq(rcs ...uint32) *Message {
	m := mkMsg(KindDEREGREQ)
	m.RoutingContexts = rcs
	return m
}

func rkDPC(lrk, dpc uint32, mode TrafficMode, si ...uint8) RoutingKeyParam {
	return RoutingKeyParam{LocalRKIdentifier: lrk, DPC: fsmPtr(dpc), TrafficMode: mode, ServiceIndicators: si}
}

// RFC 4666 section 4.4.1: a REG REQ for a new key creates an AS with a new
// routing context; REG RSP reports it; the ASP is INACTIVE in it, goes
// ACTIVE with ASP Active for that context, and SS7 traffic matching the key
// is routed to it.
func TestRFC4666_4_4_1_SGP_RegisterNewASThenData(t *testing.T) {
	s, r := dynRig(t)
	r.up(1, 7)
	r.take()
	got := sentTo(r.in(1, regReq(rkDPC(1, 200, TrafficModeLoadshare, 5))), 1)
	wantKinds(t, got, KindREGRSP, KindNTFY)
	res := got[0].RegistrationResults
	if len(res) != 1 || res[0].Status != RegSuccess || res[0].LocalRKIdentifier != 1 || res[0].RoutingContext != 11 {
		t.Fatalf("results %+v", res)
	}
	wantNtfy(t, got[1], StatusTypeASStateChange, StatusASInactive)
	if s.ASState(11) != ASInactive {
		t.Fatalf("AS %v", s.ASState(11))
	}
	r.active(1, TrafficModeLoadshare, 11)
	if s.ASState(11) != ASActive || s.ASState(10) != ASInactive {
		t.Fatalf("AS 11 %v, AS 10 %v", s.ASState(11), s.ASState(10))
	}
	out := sendsOf(r.step(Transfer{Msg: mkData(1, 200, 5, 3, 0x01, 0x00)}))
	if len(out) != 1 || out[0].Assoc != 1 || out[0].Msg.RoutingContexts[0] != 11 {
		t.Fatalf("routed %+v", out)
	}
	// Another SI for DPC 200 does not match the registered key.
	if n := notifies(r.step(Transfer{Msg: mkData(1, 200, 3, 3)}), NotifyDiscarded); len(n) != 1 {
		t.Fatal("SCCP to DPC 200 not discarded")
	}
}

// RFC 4666 section 4.4.1, with dynamic registration off (the default): the
// SGP keeps answering RKM messages with ERR(Unsupported Message Class).
func TestRFC4666_4_4_1_SGP_RegistrationDisabled(t *testing.T) {
	s, r := sgpRig(t, TrafficModeLoadshare)
	r.up(1, 7)
	got := sentTo(r.in(1, regReq(rkDPC(1, 200, TrafficModeLoadshare))), 1)
	wantKinds(t, got, KindERR)
	wantErr(t, got[0], ErrUnsupportedMessageClass)
	wantErr(t, sentTo(r.in(1, deregReq(10)), 1)[0], ErrUnsupportedMessageClass)
	if len(s.RoutingContexts()) != 1 {
		t.Fatalf("ASes %v", s.RoutingContexts())
	}
}

// RFC 4666 section 3.6.2: each key gets its own status in one REG RSP:
// missing DPC (2), invalid traffic mode (10), a key overlapping another
// AS's key of the same specificity (6), a routing context naming another
// key (11), a SUA-only field on M3UA (9), and a valid key (0).
func TestRFC4666_3_6_2_SGP_RegistrationStatuses(t *testing.T) {
	s, r := dynRig(t, func(c *SGPConfig) {
		c.ASes = append(c.ASes, ASConfig{RoutingContext: 20, Keys: []RoutingKey{{DPC: fsmPtr(uint32(300)), ServiceIndicators: []uint8{5}}}})
	})
	r.up(1, 7)
	r.take()
	keys := []RoutingKeyParam{
		{LocalRKIdentifier: 1, TrafficMode: TrafficModeLoadshare},
		rkDPC(2, 200, TrafficMode(9)),
		{LocalRKIdentifier: 3, DPC: fsmPtr(uint32(300)), OPCs: []uint32{1}},
		{LocalRKIdentifier: 4, DPC: fsmPtr(uint32(400)), RoutingContext: fsmPtr(uint32(10))},
		{LocalRKIdentifier: 5, DPC: fsmPtr(uint32(400)), SourceAddresses: []SCCPAddress{{}}},
		{LocalRKIdentifier: 6, DPC: fsmPtr(uint32(0x1000000))},
		rkDPC(7, 300, TrafficModeNone, 5, 3), // overlaps RC 20 but is as specific: refused
		rkDPC(8, 300, TrafficModeNone),       // less specific than RC 20's key: fine
	}
	got := sentTo(r.in(1, regReq(keys...)), 1)
	want := []uint32{RegErrInvalidDPC, RegErrUnsupportedTrafficMode, RegErrCannotSupportUnique, RegErrChangeRefused,
		RegErrUnsupportedRKParameter, RegErrInvalidDPC, RegErrCannotSupportUnique, RegSuccess}
	res := got[0].RegistrationResults
	if len(res) != len(want) {
		t.Fatalf("results %+v", res)
	}
	for i, w := range want {
		if res[i].Status != w || res[i].LocalRKIdentifier != keys[i].LocalRKIdentifier {
			t.Fatalf("key %d: %+v, want status %d", i+1, res[i], w)
		}
	}
	if len(s.RoutingContexts()) != 3 {
		t.Fatalf("ASes %v", s.RoutingContexts())
	}
}

// RFC 4666 section 4.4.1 and 3.6.2 (status 12): a second ASP registering an
// identical key joins the AS already created; the same ASP registering it
// again is told "Routing Key Already Registered". An identical key of a
// provisioned AS the ASP may serve returns that AS's routing context.
func TestRFC4666_4_4_1_SGP_IdenticalKeyJoinsOrAlreadyRegistered(t *testing.T) {
	s, r := dynRig(t, func(c *SGPConfig) { c.DynamicRCBase = 100 })
	r.up(1, 1)
	r.up(2, 2)
	k := rkDPC(1, 200, TrafficModeOverride)
	if res := sentTo(r.in(1, regReq(k)), 1)[0].RegistrationResults; res[0].Status != RegSuccess || res[0].RoutingContext != 100 {
		t.Fatalf("first %+v", res)
	}
	if res := sentTo(r.in(2, regReq(k)), 2)[0].RegistrationResults; res[0].Status != RegSuccess || res[0].RoutingContext != 100 {
		t.Fatalf("join %+v", res)
	}
	if res := sentTo(r.in(1, regReq(k)), 1)[0].RegistrationResults; res[0].Status != RegErrAlreadyRegistered || res[0].RoutingContext != 100 {
		t.Fatalf("again %+v", res)
	}
	// A different traffic mode for the same key is refused.
	r.up(3, 3)
	if res := sentTo(r.in(3, regReq(rkDPC(1, 200, TrafficModeBroadcast))), 3)[0].RegistrationResults; res[0].Status != RegErrUnsupportedTrafficMode {
		t.Fatalf("mode %+v", res)
	}
	if res := sentTo(r.in(3, regReq(rkDPC(1, 100, TrafficModeNone))), 3)[0].RegistrationResults; res[0].Status != RegSuccess || res[0].RoutingContext != 10 {
		t.Fatalf("provisioned %+v", res)
	}
	r.active(1, TrafficModeOverride, 100)
	r.active(2, TrafficModeOverride, 100) // override: 2 takes over
	if s.ASState(100) != ASActive || s.ASPState(1) != ASPInactive {
		t.Fatalf("AS %v ASP1 %v", s.ASState(100), s.ASPState(1))
	}
}

// RFC 4666 section 4.4.2 and 3.6.4 (status 5): DEREG REQ for a routing
// context the ASP is active in is refused; after ASP Inactive it
// succeeds and the AS, empty, is removed with its routing key. A
// provisioned context is "Permission Denied", an unknown one "Invalid
// Routing Context", one not registered "Not Registered".
func TestRFC4666_4_4_2_SGP_DeregisterActiveThenInactive(t *testing.T) {
	s, r := dynRig(t)
	r.up(1, 7)
	r.up(2, 8)
	r.in(1, regReq(rkDPC(1, 200, TrafficModeLoadshare)))
	r.active(1, TrafficModeLoadshare, 11)
	r.take()
	res := sentTo(r.in(1, deregReq(11, 10, 99)), 1)[0].DeregistrationResult
	if len(res) != 3 || res[0] != (DeregistrationResult{11, DeregErrASPActiveForRC}) ||
		res[1] != (DeregistrationResult{10, DeregErrPermissionDenied}) || res[2] != (DeregistrationResult{99, DeregErrInvalidRC}) {
		t.Fatalf("results %+v", res)
	}
	if res := sentTo(r.in(2, deregReq(11)), 2)[0].DeregistrationResult; res[0].Status != DeregErrNotRegistered {
		t.Fatalf("not registered %+v", res)
	}
	r.in(1, aspIa(11))
	r.advance(DefaultTRecovery) // AS-PENDING -> INACTIVE
	acts := r.in(1, deregReq(11))
	if res := sentTo(acts, 1)[0].DeregistrationResult; res[0].Status != DeregSuccess {
		t.Fatalf("dereg %+v", res)
	}
	if _, ok := s.AS(11); ok || s.ASState(11) != ASDown {
		t.Fatal("AS 11 not removed")
	}
	if n := notifies(acts, NotifyDeregistered); len(n) != 2 || n[1].Reason != "dynamic AS removed" {
		t.Fatalf("notify %+v", n)
	}
	if _, ok := s.Route(mkData(1, 200, 5, 0)); ok {
		t.Fatal("route of the removed AS kept")
	}
	// ASPAC for the removed context is now invalid.
	wantErr(t, sentTo(r.in(1, aspAc(TrafficModeLoadshare, 11)), 1)[0], ErrInvalidRoutingContext)
	if s.ASPState(1) != ASPInactive {
		t.Fatalf("ASP %v", s.ASPState(1))
	}
}

// RFC 4666 section 4.4.2: registrations belong to the association; when it
// fails the dynamic AS goes PENDING and is removed after T(r).
func TestRFC4666_4_4_2_SGP_AssocLossRemovesDynamicAS(t *testing.T) {
	s, r := dynRig(t)
	r.up(1, 7)
	r.in(1, regReq(rkDPC(1, 200, TrafficModeOverride)))
	r.active(1, TrafficModeOverride, 11)
	r.step(AssocDown{Assoc: 1})
	if s.ASState(11) != ASPending {
		t.Fatalf("AS %v", s.ASState(11))
	}
	r.advance(DefaultTRecovery)
	if _, ok := s.AS(11); ok {
		t.Fatal("AS kept")
	}
}

// RFC 3868 sections 4.5.1 and 4.5.3: a SUA SGP announces a subsystem's
// availability with DUNA/DAVA carrying the Affected SSN, and answers a
// DAUD with an SSN with the subsystem's state (its point code's state when
// it has none of its own; "Subsystem Status Unknown" when neither is known).
func TestRFC3868_4_5_SGP_SSNMPerSSNAndDAUD(t *testing.T) {
	s, err := NewSGP(SGPConfig{Protocol: SUA, ASes: []ASConfig{{RoutingContext: 7, TrafficMode: TrafficModeLoadshare}}})
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, s)
	r.step(AssocUp{Assoc: 1, Streams: 4})
	r.in(1, &Message{Protocol: SUA, Kind: KindASPUP})
	r.in(1, &Message{Protocol: SUA, Kind: KindASPAC})
	r.take()
	got := sentTo(r.step(SetDestination{Destination: Destination{PointCode: 300, SSN: 8, State: DestUnavailable}}), 1)
	wantKinds(t, got, KindDUNA)
	if got[0].AffectedSSN == nil || *got[0].AffectedSSN != 8 || got[0].AffectedPointCodes[0].PointCode != 300 || got[0].Protocol != SUA {
		t.Fatalf("DUNA %+v", got[0])
	}
	if s.Destination(300).State != DestUnknown {
		t.Fatal("subsystem state leaked to the point code")
	}
	daud := func(pc uint32, ssn uint8) []*Message {
		m := &Message{Protocol: SUA, Kind: KindDAUD, AffectedPointCodes: []AffectedPointCode{{PointCode: pc}}, AffectedSSN: fsmPtr(ssn)}
		return sentTo(r.in(1, m), 1)
	}
	got = daud(300, 8)
	wantKinds(t, got, KindDUNA)
	if *got[0].AffectedSSN != 8 {
		t.Fatalf("answer %+v", got[0])
	}
	wantErr(t, daud(300, 6)[0], ErrSubsystemStatusUnknown)
	r.step(SetDestination{Destination: Destination{PointCode: 300, State: DestAvailable}})
	got = daud(300, 6) // SSN 6 unknown: the point code's state
	wantKinds(t, got, KindDAVA)
	if *got[0].AffectedSSN != 6 {
		t.Fatalf("answer %+v", got[0])
	}
	got = sentTo(r.step(SetDestination{Destination: Destination{PointCode: 300, SSN: 8, State: DestAvailable}}), 1)
	wantKinds(t, got, KindDAVA)
	if *got[0].AffectedSSN != 8 {
		t.Fatalf("DAVA %+v", got[0])
	}
}

// RFC 4666 section 4.5 (M3UA has no subsystem SSNM): an M3UA SGP ignores a
// destination with an SSN.
func TestRFC4666_4_5_SGP_M3UAIgnoresSSN(t *testing.T) {
	_, r := sgpRig(t, TrafficModeLoadshare)
	r.up(1, 7)
	r.active(1, TrafficModeLoadshare)
	if acts := r.step(SetDestination{Destination: Destination{PointCode: 300, SSN: 8, State: DestUnavailable}}); len(acts) != 0 {
		t.Fatalf("acts %+v", acts)
	}
}
