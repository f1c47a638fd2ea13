package sg

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/mxua/isup"
	"github.com/sigpool/sigpool/transport"
)

// TestSGUplinkToSTP: the SG has no listener; it dials an STP (an SGP
// stand-in) as an ASP and goes ACTIVE in the STP's AS. ISUP calls the STP
// sends reach the GWCs and their answers come back over the uplink with
// the AS's routing context; after the STP forces the SG's ASP down, the SG
// brings it back ACTIVE and calls complete once more.
func TestSGUplinkToSTP(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	const rc = 7
	stp, err := mxua.ListenSGP(ctx, mxua.SGPServerConfig{Address: "tcp://127.0.0.1:0", Transport: transport.Config{Profile: carrier(t)},
		SGP: mxua.SGPConfig{Protocol: mxua.M3UA, Profile: carrier(t), ASes: []mxua.ASConfig{{RoutingContext: rc, Name: "sg"}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer stp.Close()
	s := startSG(t, ctx, func(c *Config) {
		c.M3UAListen = ""
		c.Uplinks = []Uplink{{Address: stp.Addr(), RoutingContext: rc}}
	})
	a := startGWC(t, ctx, s.RegistrarAddrs(), 0xa)
	defer a.close()
	if err := s.WaitActive(ctx, tPool, 1); err != nil {
		t.Fatal(err)
	}
	active := make(chan mxua.AssocID, 4)
	answers := make(chan *mxua.Message, 64)
	go func() {
		for n := range stp.Notifications() {
			switch {
			case n.Kind == mxua.NotifyASPState && n.ASP == mxua.ASPActive:
				active <- n.Assoc
			case n.Kind == mxua.NotifyDeliver:
				answers <- n.Msg
			}
		}
	}()
	calls := func(assoc mxua.AssocID, first uint16) {
		t.Helper()
		for cic := first; cic < first+5; cic++ {
			m := isupData(mxua.FromSS7, cic, isup.MsgIAM)
			m.RoutingContexts = []uint32{rc}
			if err := stp.SendTo(ctx, assoc, m); err != nil {
				t.Fatal(err)
			}
		}
		for range 5 {
			select {
			case m := <-answers:
				if typ := isup.MessageType(m.ProtocolData.Payload[2]); typ != isup.MsgACM {
					t.Fatalf("answer %v over the uplink, want ACM", typ)
				}
				if len(m.RoutingContexts) != 1 || m.RoutingContexts[0] != rc {
					t.Fatalf("answer with routing contexts %v, want [%d]", m.RoutingContexts, rc)
				}
			case <-ctx.Done():
				t.Fatal("answers over the uplink: ", ctx.Err())
			}
		}
	}
	var assoc mxua.AssocID
	select {
	case assoc = <-active:
	case <-ctx.Done():
		t.Fatal("the SG's uplink ASP never went ACTIVE at the STP")
	}
	calls(assoc, 1)

	if err := stp.Command(ctx, mxua.ForceASPDown{Assoc: assoc}); err != nil {
		t.Fatal(err)
	}
	select {
	case assoc = <-active:
	case <-ctx.Done():
		t.Fatal("the SG's ASP did not come back ACTIVE after the STP forced it down")
	}
	calls(assoc, 100)
	st := s.Stats()
	if st.UpstreamDropped != 0 || st.Dropped != 0 {
		t.Fatalf("stats %+v", st.Counters)
	}
	// Counted since the ASP came back (ASP-DOWN ends an upstream peer).
	if len(st.Upstream) != 1 || st.Upstream[0].Uplink != stp.Addr() || st.Upstream[0].In != 5 || st.Upstream[0].Out != 5 {
		t.Fatalf("upstream stats %+v, want the uplink to %s with 5 in and 5 out", st.Upstream, stp.Addr())
	}
	resp, err := http.Get("http://" + s.MetricsAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `sigpool_sg_peer_messages_total{direction="in",peer="M3UA uplink ` + stp.Addr() + `",pool="",side="ss7"} 5`; !strings.Contains(string(body), want) {
		t.Errorf("metrics lack %s", want)
	}
}
