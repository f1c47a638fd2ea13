package mxua

import (
	"testing"
	"time"
)

// Routing key management and SSNM gaps at the ASP (RFC 4666 sections 4.4
// and 4.5.2, RFC 3868 section 4.5).

// RFC 4666 section 4.4.1: the ASP registers a key after ASP Up, holds its
// ASP Active until REG RSP and then activates for the learned routing
// context; end to end against the SGP, SS7 traffic then reaches it.
func TestRFC4666_4_4_1_Sim_RegisterThenActiveThenData(t *testing.T) {
	sgp, err := NewSGP(SGPConfig{Protocol: M3UA, AllowDynamicRegistration: true, DynamicRCBase: 50})
	if err != nil {
		t.Fatal(err)
	}
	n := newSimNet(t, sgp)
	asp, err := NewASP(1, ASPConfig{Protocol: M3UA, ASPIdentifier: fsmPtr(uint32(7)), TrafficMode: TrafficModeLoadshare, Target: ASPActive})
	if err != nil {
		t.Fatal(err)
	}
	var registered []uint32
	n.onNotify = func(node AssocID, nt Notify) {
		if node == 1 && nt.Kind == NotifyRegistered {
			registered = append(registered, nt.RoutingContext)
		}
	}
	n.addASP(1, asp)
	n.input(1, RegisterRequest{Keys: []RoutingKeyParam{{DPC: fsmPtr(uint32(200)), TrafficMode: TrafficModeLoadshare}}})
	n.run(time.Second)
	if asp.State() != ASPActive || sgp.ASState(50) != ASActive || len(registered) != 1 || registered[0] != 50 {
		t.Fatalf("ASP %v AS %v registered %v", asp.State(), sgp.ASState(50), registered)
	}
	if rcs := asp.RoutingContexts(); len(rcs) != 1 || rcs[0] != 50 {
		t.Fatalf("RCs %v", rcs)
	}
	n.input(0, Transfer{Msg: mkData(1, 200, 5, 1, 0x01, 0x00)})
	n.run(time.Second)
	if len(n.delivered[1]) != 1 {
		t.Fatalf("delivered %d", len(n.delivered[1]))
	}
}

// RFC 4666 section 4.4.1 with a tester as SGP: REG REQ goes out after ASP
// Up Ack and before ASP Active, which carries the learned context; a
// refused key is notified with its status.
func TestRFC4666_4_4_1_ASP_RegisterLearnsRC(t *testing.T) {
	a, r := aspRig(t, func(c *ASPConfig) { c.RoutingContexts = nil })
	r.step(RegisterRequest{Keys: []RoutingKeyParam{{DPC: fsmPtr(uint32(200))}, {DPC: fsmPtr(uint32(201))}}})
	r.step(AssocUp{Assoc: 1, Streams: 4})
	got := sentTo(r.in(1, mkMsg(KindASPUPAck)), 1)
	wantKinds(t, got, KindREGREQ)
	req := got[0]
	if req.RoutingKeys[0].LocalRKIdentifier == req.RoutingKeys[1].LocalRKIdentifier {
		t.Fatal("LRK identifiers not unique")
	}
	rsp := mkMsg(KindREGRSP)
	rsp.RegistrationResults = []RegistrationResult{
		{LocalRKIdentifier: req.RoutingKeys[0].LocalRKIdentifier, Status: RegSuccess, RoutingContext: 42},
		{LocalRKIdentifier: req.RoutingKeys[1].LocalRKIdentifier, Status: RegErrPermissionDenied},
	}
	acts := r.in(1, rsp)
	got = sentTo(acts, 1)
	wantKinds(t, got, KindASPAC)
	if len(got[0].RoutingContexts) != 1 || got[0].RoutingContexts[0] != 42 {
		t.Fatalf("ASPAC RCs %v", got[0].RoutingContexts)
	}
	if f := notifies(acts, NotifyRequestFailed); len(f) != 1 || f[0].Request != KindREGREQ || f[0].Status != RegErrPermissionDenied {
		t.Fatalf("failed %+v", f)
	}
	if rcs := a.Registered(); len(rcs) != 1 || rcs[0] != 42 {
		t.Fatalf("registered %v", rcs)
	}
	// DEREG: refused while active, then accepted.
	r.in(1, mkMsg(KindASPACAck))
	got = sentTo(r.step(DeregisterRequest{RoutingContexts: []uint32{42}}), 1)
	wantKinds(t, got, KindDEREGREQ)
	d := mkMsg(KindDEREGRSP)
	d.DeregistrationResult = []DeregistrationResult{{RoutingContext: 42, Status: DeregErrASPActiveForRC}}
	if f := notifies(r.in(1, d), NotifyRequestFailed); len(f) != 1 || f[0].Status != DeregErrASPActiveForRC {
		t.Fatalf("dereg failure %+v", f)
	}
	r.step(DeregisterRequest{RoutingContexts: []uint32{42}})
	d.DeregistrationResult = []DeregistrationResult{{RoutingContext: 42, Status: DeregSuccess}}
	if n := notifies(r.in(1, d), NotifyDeregistered); len(n) != 1 || len(a.RoutingContexts()) != 0 {
		t.Fatalf("dereg %+v, RCs %v", n, a.RoutingContexts())
	}
}

// RFC 4666 section 4.4.1 / 3.8.1: an SGP without dynamic registration
// answers REG REQ with ERR(Unsupported Message Class): the registration
// fails and the held-back ASP Active goes out. An unanswered REG REQ is
// retransmitted every T(ack) and then given up.
func TestRFC4666_4_4_1_ASP_RegisterRefusedAndTimeout(t *testing.T) {
	_, r := aspRig(t, func(c *ASPConfig) { c.RoutingContexts = nil; c.MaxAttempts = 2 })
	r.step(RegisterRequest{Keys: []RoutingKeyParam{{DPC: fsmPtr(uint32(200))}}})
	r.step(AssocUp{Assoc: 1, Streams: 4})
	r.in(1, mkMsg(KindASPUPAck))
	e := mkMsg(KindERR)
	e.ErrorCode = ErrUnsupportedMessageClass
	acts := r.in(1, e)
	wantKinds(t, sentTo(acts, 1), KindASPAC)
	if f := notifies(acts, NotifyRequestFailed); len(f) != 1 || f[0].Request != KindREGREQ {
		t.Fatalf("failed %+v", f)
	}
	r.in(1, mkMsg(KindASPACAck))
	r.take()
	r.step(RegisterRequest{Keys: []RoutingKeyParam{{DPC: fsmPtr(uint32(201))}}})
	r.advance(DefaultTAck)
	r.advance(DefaultTAck)
	acts = r.take()
	wantKinds(t, sentTo(acts, 1), KindREGREQ, KindREGREQ)
	if f := notifies(acts, NotifyRequestFailed); len(f) != 1 || f[0].Reason != "T(ack) expired" {
		t.Fatalf("failed %+v", f)
	}
}

// RFC 4666 section 4.5.2: DUPU is kept per point code and user part,
// notified, and cleared by traffic from that user part or a DAVA.
func TestRFC4666_4_5_2_ASP_DUPUStored(t *testing.T) {
	a, r := aspRig(t)
	r.activate()
	d := mkMsg(KindDUPU)
	d.AffectedPointCodes = []AffectedPointCode{{PointCode: 300}}
	d.UserCause = &UserCause{User: 5, Cause: 1}
	acts := r.in(1, d)
	if n := notifies(acts, NotifyUserPart); len(n) != 1 || n[0].Destination != 300 || n[0].User != 5 || n[0].Cause != 1 {
		t.Fatalf("notify %+v", n)
	}
	if ok, cause := a.UserPartAvailable(300, 5); ok || cause != 1 {
		t.Fatal("ISUP at 300 not unavailable")
	}
	if ok, _ := a.UserPartAvailable(300, 3); !ok {
		t.Fatal("SCCP at 300 unavailable")
	}
	if u := a.UnavailableUserParts(300); len(u) != 1 || u[0].User != 5 {
		t.Fatalf("user parts %+v", u)
	}
	if len(notifies(r.in(1, d), NotifyUserPart)) != 0 {
		t.Fatal("repeated DUPU notified again")
	}
	r.step(MessageIn{Assoc: 1, Stream: 1, Msg: mkData(300, 100, 5, 1, 0x01, 0x00)})
	if ok, _ := a.UserPartAvailable(300, 5); !ok {
		t.Fatal("traffic from ISUP did not clear DUPU")
	}
	r.in(1, d)
	v := mkMsg(KindDAVA)
	v.AffectedPointCodes = []AffectedPointCode{{PointCode: 300}}
	r.in(1, v)
	if ok, _ := a.UserPartAvailable(300, 5); !ok {
		t.Fatal("DAVA did not clear DUPU")
	}
	bad := mkMsg(KindDUPU)
	bad.AffectedPointCodes = d.AffectedPointCodes
	wantErr(t, sentTo(r.in(1, bad), 1)[0], ErrMissingParameter)
}

// RFC 3868 sections 3.4 and 4.5: SUA DUNA with an Affected SSN marks that
// subsystem unavailable (not its point code), DAUD audits it with the SSN,
// and DAVA with the SSN makes it available again.
func TestRFC3868_4_5_ASP_DUNAThenDAVAWithSSN(t *testing.T) {
	a, r := aspRig(t, func(c *ASPConfig) { c.Protocol = SUA; c.AuditInterval = 5 * time.Second })
	r.activate()
	ssnm := func(k Kind) *Message {
		return &Message{Protocol: SUA, Kind: k, AffectedPointCodes: []AffectedPointCode{{PointCode: 300}}, AffectedSSN: fsmPtr(uint8(8))}
	}
	acts := r.in(1, ssnm(KindDUNA))
	if n := notifies(acts, NotifyDestination); len(n) != 1 || n[0].SSN != 8 || n[0].DestState != DestUnavailable {
		t.Fatalf("notify %+v", n)
	}
	if a.Subsystem(300, 8).State != DestUnavailable || a.Destination(300).State != DestUnknown || a.Subsystem(300, 6).State != DestUnknown {
		t.Fatalf("table %+v %+v", a.Subsystems(), a.Destinations())
	}
	r.take()
	r.advance(5 * time.Second)
	got := sentTo(r.take(), 1)
	wantKinds(t, got, KindDAUD)
	if got[0].AffectedSSN == nil || *got[0].AffectedSSN != 8 || got[0].AffectedPointCodes[0].PointCode != 300 {
		t.Fatalf("DAUD %+v", got[0])
	}
	acts = r.in(1, ssnm(KindDAVA))
	if n := notifies(acts, NotifyDestination); len(n) != 1 || n[0].SSN != 8 || n[0].DestState != DestAvailable {
		t.Fatalf("notify %+v", n)
	}
	if a.Subsystem(300, 8).State != DestAvailable {
		t.Fatal("subsystem not available")
	}
	r.advance(time.Minute)
	if len(sendsOf(r.take())) != 0 {
		t.Fatal("audit continued after DAVA")
	}
	// A point code unavailable makes its subsystems unavailable.
	r.in(1, &Message{Protocol: SUA, Kind: KindDUNA, AffectedPointCodes: []AffectedPointCode{{PointCode: 301}}})
	if a.Subsystem(301, 8).State != DestUnavailable {
		t.Fatal("subsystem of an unavailable point code")
	}
}
