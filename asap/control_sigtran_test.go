package asap_test

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/sigpool/sigpool/asap"
	"github.com/sigpool/sigpool/enrp"
	"github.com/sigpool/sigpool/internal/transporttest"
	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

// The SG <-> GWC plumbing end to end, as the sg and gwc packages use it: a
// GWC-like pool element registers, a pool user resolves it and dials it
// (DialPE), splits the ASAP control off (SplitControl) and serves an M3UA
// SGP on the data side (mxua.NewSGPServer + Attach); the PE splits the
// association it accepted (Split) and runs an ASP on the data side
// (mxua.AttachASP), which reaches ASP-ACTIVE. DATA flows both ways, the PE's
// Cookie reaches the PU and the PU's Cookie Echo reaches the PE on the same
// association, and the loss of the association is seen on both sides.
// (The test lives with asap; asap itself knows nothing of SS7.)
func TestSplitCarriesM3UAAndASAP(t *testing.T) {
	transporttest.ForEach(t, testSplitCarriesM3UAAndASAP)
}

func testSplitCarriesM3UAAndASAP(t *testing.T, scheme string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	profile, err := transport.ParseProfile("carrier")
	if err != nil {
		t.Fatal(err)
	}
	core := enrp.ConfigForProfile(profile)
	core.ServerID = 0x5161
	reg, err := enrp.Start(ctx, enrp.Options{
		Core: core, Listen: []string{scheme + "://127.0.0.1:0"}, ENRPListen: []string{scheme + "://127.0.0.1:0"}, Profile: profile,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	regAddr := reg.Addrs(wire.ProtocolASAP)[0]

	// GWC side: a PE whose accepted associations run an ASP.
	pe, err := asap.StartPoolElement(ctx, asap.PEConfig{PoolHandle: "gwc", Registrars: []string{regAddr},
		Listen: scheme + "://127.0.0.1:0", Profile: profile})
	if err != nil {
		t.Fatal(err)
	}
	defer pe.Close(context.Background())
	if err := pe.Registered(ctx); err != nil {
		t.Fatal(err)
	}

	// SG side: resolve, dial, split, attach.
	pu, err := asap.NewPoolUser(ctx, asap.PUConfig{Registrars: []string{regAddr}, Profile: profile, Items: wire.AllItems})
	if err != nil {
		t.Fatal(err)
	}
	defer pu.Close()
	res, err := pu.Resolve(ctx, "gwc")
	if err != nil || len(res.Elements) != 1 {
		t.Fatalf("resolution %+v, %v", res, err)
	}
	sgp, err := mxua.NewSGPServer(ctx, mxua.SGPServerConfig{Address: "gwc", Transport: transport.Config{Profile: profile},
		SGP: mxua.SGPConfig{Protocol: mxua.M3UA, ASes: []mxua.ASConfig{{RoutingContext: 1, TrafficMode: mxua.TrafficModeLoadshare}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer sgp.Close()
	sgNotes := sgp.Notifications()
	dialed, err := asap.DialPE(ctx, res.Elements[0], transport.Config{Profile: profile})
	if err != nil {
		t.Fatal(err)
	}
	ca := asap.SplitControl(dialed)
	id, err := sgp.Attach(ctx, ca)
	if err != nil {
		t.Fatal(err)
	}

	pa, err := pe.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	data, control := pa.Split()
	asp, err := mxua.AttachASP(ctx, data, mxua.ASPEndpointConfig{ASP: mxua.ASPConfig{
		Protocol: mxua.M3UA, RoutingContexts: []uint32{1}, TrafficMode: mxua.TrafficModeLoadshare, Profile: profile}})
	if err != nil {
		t.Fatal(err)
	}
	defer asp.Close()
	if err := asp.WaitState(ctx, mxua.ASPActive); err != nil {
		t.Fatal(err)
	}
	waitNotify(ctx, t, sgNotes, "ASP-ACTIVE at the SGP", func(n mxua.Notify) bool {
		return n.Kind == mxua.NotifyASPState && n.Assoc == id && n.ASP == mxua.ASPActive
	})

	// DATA SG -> GWC by SendTo, GWC -> SG by the ASP.
	for i := range 50 {
		if err := sgp.SendTo(ctx, id, isupDATA(100, 200, uint16(i))); err != nil {
			t.Fatal(err)
		}
	}
	aspNotes := asp.Notifications()
	for i := range 50 {
		n := waitNotify(ctx, t, aspNotes, "DATA at the GWC", func(n mxua.Notify) bool { return n.Kind == mxua.NotifyDeliver })
		b, err := mxua.BindingOf(n.Msg, mxua.FromSS7)
		if err != nil || b.Kind != mxua.BindingCircuit || int(b.CIC) != i || b.SS7PC != 100 || b.PoolPC != 200 {
			t.Fatalf("GWC got binding %+v, %v; want CIC %d", b, err, i)
		}
		if err := asp.Send(ctx, isupDATA(200, 100, b.CIC)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 50 {
		n := waitNotify(ctx, t, sgNotes, "DATA at the SG", func(n mxua.Notify) bool { return n.Kind == mxua.NotifyDeliver })
		b, err := mxua.BindingOf(n.Msg, mxua.FromPool)
		if err != nil || n.Assoc != id || int(b.CIC) != i || b.SS7PC != 100 || b.PoolPC != 200 {
			t.Fatalf("SG got binding %+v from %d, %v; want CIC %d", b, n.Assoc, err, i)
		}
	}

	// Cookie GWC -> SG, Cookie Echo SG -> GWC, on the same association.
	key := mxua.BindingKey{Kind: mxua.BindingCircuit, SS7PC: 100, PoolPC: 200, ID: 7}
	cookie := mxua.BindingCookie{Key: key, State: []byte("answered")}.Marshal()
	if err := pa.SendCookie(ctx, cookie); err != nil {
		t.Fatal(err)
	}
	var got wire.Message
	select {
	case got = <-ca.Control():
	case <-ctx.Done():
		t.Fatal("no Cookie at the SG")
	}
	ck, ok := got.(*wire.CookieMessage)
	if !ok {
		t.Fatalf("SG control message %v", got)
	}
	bc, err := mxua.ParseBindingCookie(ck.Cookie)
	if err != nil || bc.Key != key || string(bc.State) != "answered" {
		t.Fatalf("SG cookie %+v, %v", bc, err)
	}
	if err := ca.SendCookieEcho(ctx, ck.Cookie); err != nil {
		t.Fatal(err)
	}
	select {
	case got = <-control:
	case <-ctx.Done():
		t.Fatal("no Cookie Echo at the GWC")
	}
	if ce, ok := got.(*wire.CookieEcho); !ok || string(ce.Cookie) != string(cookie) {
		t.Fatalf("GWC control message %v", got)
	}

	// The GWC's association is lost: the SGP reports its ASP down and
	// SendTo refuses; the SG's control channel closes; the GWC's ASP is
	// done for good and its control channel closes.
	if err := data.Abort(); err != nil {
		t.Fatal(err)
	}
	n := waitNotify(ctx, t, sgNotes, "ASP-DOWN at the SGP", func(n mxua.Notify) bool {
		return n.Kind == mxua.NotifyASPState && n.Assoc == id && n.ASP == mxua.ASPDown
	})
	if n.Reason == "" {
		t.Error("ASP-DOWN without a reason")
	}
	for name, ch := range map[string]<-chan wire.Message{"SG": ca.Control(), "GWC": control} {
		select {
		case _, ok := <-ch:
			if ok {
				t.Errorf("%s control channel delivered after the loss", name)
			}
		case <-ctx.Done():
			t.Fatalf("%s control channel not closed after the loss", name)
		}
	}
	select {
	case <-asp.Done():
	case <-ctx.Done():
		t.Fatal("GWC ASP not done after the loss")
	}
	if asp.State() != mxua.ASPDown {
		t.Fatalf("GWC ASP %v after the loss", asp.State())
	}
}

func waitNotify(ctx context.Context, t *testing.T, ch <-chan mxua.Notify, what string, ok func(mxua.Notify) bool) mxua.Notify {
	t.Helper()
	for {
		select {
		case n, open := <-ch:
			if !open {
				t.Fatalf("notifications closed while waiting for %s", what)
			}
			if n.Kind == mxua.NotifyDiscarded || n.Kind == mxua.NotifyError {
				t.Fatalf("waiting for %s: %+v", what, n)
			}
			if ok(n) {
				return n
			}
		case <-ctx.Done():
			t.Fatalf("no %s", what)
		}
	}
}

// isupDATA is an M3UA DATA carrying an ISUP message header for a CIC (an
// ANM: header and an empty optional part).
func isupDATA(opc, dpc uint32, cic uint16) *mxua.Message {
	payload := binary.LittleEndian.AppendUint16(nil, cic)
	payload = append(payload, 0x09, 0x00)
	return &mxua.Message{Protocol: mxua.M3UA, Kind: mxua.KindDATA,
		ProtocolData: &mxua.ProtocolData{OPC: opc, DPC: dpc, SI: 5, NI: 2, SLS: uint8(cic), Payload: payload}}
}
