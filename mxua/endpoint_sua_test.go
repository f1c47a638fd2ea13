package mxua

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/sigpool/sigpool/internal/transporttest"
	"github.com/sigpool/sigpool/transport"
)

func cldt(seqControl uint32, seq int) *Message {
	return &Message{Protocol: SUA, Kind: KindCLDT, SUA: &SUAData{
		ProtocolClass:   1, // in-sequence: the sequence control picks the stream
		SequenceControl: seqControl,
		Source:          &SCCPAddress{RoutingIndicator: RouteOnSSNPC, AddressIndicator: AddressIndicatorPC | AddressIndicatorSSN, PointCode: ptr(uint32(100)), SSN: ptr(uint8(8))},
		Destination:     &SCCPAddress{RoutingIndicator: RouteOnSSNPC, AddressIndicator: AddressIndicatorPC | AddressIndicatorSSN, PointCode: ptr(uint32(200)), SSN: ptr(uint8(6))},
		Data:            binary.BigEndian.AppendUint32(nil, uint32(seq)),
	}}
}

// The same drivers run SUA (PPID 4): handshake, then CLDT both ways in
// order per sequence control.
func TestEndpointSUA(t *testing.T) {
	ctx := driverCtx(t, 10*time.Second)
	prof := carrier(t)
	s, err := ListenSGP(ctx, SGPServerConfig{
		Address:   transporttest.Scheme(t) + "://127.0.0.1:0",
		Transport: transport.Config{Profile: prof},
		SGP:       SGPConfig{Protocol: SUA, ASes: []ASConfig{{RoutingContext: 5, TrafficMode: TrafficModeOverride}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sn := notes{t, s.Notifications()}
	e, err := DialASP(ctx, ASPEndpointConfig{
		Address:   s.Addr(),
		Transport: transport.Config{Profile: prof},
		ASP:       ASPConfig{Protocol: SUA, RoutingContexts: []uint32{5}, TrafficMode: TrafficModeOverride},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	en := notes{t, e.Notifications()}
	if err := e.WaitState(ctx, ASPActive); err != nil {
		t.Fatal(err)
	}
	check := func(dir string, n notes) {
		last := map[uint32]int{}
		for range 100 {
			x := n.wait("CLDT", 5*time.Second, func(x Notify) bool {
				if x.Kind == NotifyDiscarded || x.Kind == NotifyError {
					t.Fatalf("%s: %+v", dir, x)
				}
				return x.Kind == NotifyDeliver
			})
			sc, seq := x.Msg.SUA.SequenceControl, int(binary.BigEndian.Uint32(x.Msg.SUA.Data))
			if prev, ok := last[sc]; ok && seq <= prev {
				t.Fatalf("%s: sequence control %d: %d after %d", dir, sc, seq, prev)
			}
			last[sc] = seq
		}
	}
	for i := range 100 {
		if err := e.Send(ctx, cldt(uint32(i%8), i)); err != nil {
			t.Fatal(err)
		}
	}
	check("ASP->SGP", sn)
	for i := range 100 {
		m := cldt(uint32(i%8), i)
		m.RoutingContexts = []uint32{5}
		if err := s.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	check("SGP->ASP", en)
}
