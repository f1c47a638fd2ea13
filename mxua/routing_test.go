package mxua

import "testing"

// RFC 4666 section 1.4.7: stream 0 is management only; with n streams an
// SLS maps to 1 + sls mod (n-1), always the same stream.
func TestRFC4666_1_4_7_StreamFor(t *testing.T) {
	cases := []struct {
		sel     uint32
		streams uint16
		want    uint16
	}{{0, 0, 0}, {5, 1, 0}, {0, 2, 1}, {7, 2, 1}, {0, 4, 1}, {1, 4, 2}, {2, 4, 3}, {3, 4, 1}, {15, 17, 16}, {16, 17, 1}}
	for _, c := range cases {
		if got := StreamFor(c.sel, c.streams); got != c.want {
			t.Errorf("StreamFor(%d, %d) = %d, want %d", c.sel, c.streams, got, c.want)
		}
	}
}

// RFC 4666 section 1.4.2.1 (routing keys): DPC, OPC, SI and ISUP CIC
// ranges select the AS; the most specific matching key wins; no match is
// reported (and the SGP drops the message with a notification).
func TestRFC4666_1_4_2_1_RoutingKeys(t *testing.T) {
	var tab RoutingTable
	tab.Add(Route{RoutingContext: 1, Key: RoutingKey{DPC: fsmPtr(uint32(100))}})
	tab.Add(Route{RoutingContext: 2, Key: RoutingKey{DPC: fsmPtr(uint32(100)), ServiceIndicators: []uint8{5},
		CircuitRanges: []CircuitRange{{OPC: 200, LowCIC: 1, HighCIC: 31}}}})
	tab.Add(Route{RoutingContext: 3, Key: RoutingKey{DPC: fsmPtr(uint32(100)), ServiceIndicators: []uint8{5},
		CircuitRanges: []CircuitRange{{OPC: 200, LowCIC: 32, HighCIC: 63}}}})
	tab.Add(Route{RoutingContext: 4, Key: RoutingKey{DPC: fsmPtr(uint32(100)), OPCs: []uint32{300}}})
	cases := []struct {
		m    *Message
		rc   uint32
		want bool
	}{
		{mkData(200, 100, 5, 0, 5, 0), 2, true},       // ISUP CIC 5
		{mkData(200, 100, 5, 0, 40, 0), 3, true},      // CIC 40
		{mkData(200, 100, 5, 0, 99, 0), 1, true},      // CIC outside both ranges
		{mkData(300, 100, 3, 0), 4, true},             // by OPC
		{mkData(200, 100, 3, 0), 1, true},             // SCCP to the DPC
		{mkData(200, 101, 3, 0), 0, false},            // unknown DPC
		{mkMsg(KindDATA), 0, false},                   // no protocol data
		{mkData(200, 100, 5, 0, 0x05, 0xf0), 2, true}, // spare bits ignored: CIC 5
		{mkData(200, 100, 5, 0, 0x05, 0x01), 1, true}, // CIC 0x105 = 261
	}
	for i, c := range cases {
		rc, ok := tab.Lookup(c.m)
		if ok != c.want || rc != c.rc {
			t.Errorf("case %d: got %d %v, want %d %v", i, rc, ok, c.rc, c.want)
		}
	}
	tab.Remove(1)
	if _, ok := tab.Lookup(mkData(200, 100, 3, 0)); ok {
		t.Error("removed route still matches")
	}
}

// RFC 3868 section 1.4.3 (SUA routing keys): the called party's point code
// and SSN select the AS.
func TestRFC3868_1_4_3_SUARoutingBySSN(t *testing.T) {
	var tab RoutingTable
	tab.Add(Route{RoutingContext: 7, Key: RoutingKey{DPC: fsmPtr(uint32(100)), SSNs: []uint8{6}}})
	tab.Add(Route{RoutingContext: 8, Key: RoutingKey{DPC: fsmPtr(uint32(100)), SSNs: []uint8{8}}})
	cldt := func(ssn uint8) *Message {
		return &Message{Protocol: SUA, Kind: KindCLDT, SUA: &SUAData{
			Destination: &SCCPAddress{PointCode: fsmPtr(uint32(100)), SSN: fsmPtr(ssn)},
			Source:      &SCCPAddress{PointCode: fsmPtr(uint32(200))},
		}}
	}
	for ssn, want := range map[uint8]uint32{6: 7, 8: 8} {
		if rc, ok := tab.Lookup(cldt(ssn)); !ok || rc != want {
			t.Errorf("SSN %d: %d %v", ssn, rc, ok)
		}
	}
	if _, ok := tab.Lookup(cldt(9)); ok {
		t.Error("SSN 9 matched")
	}
}

// RFC 3868 (SUA over the same machines): an SUA SGP answers ASP Up and
// delivers CLDT from an active ASP; M3UA DATA on an SUA association is an
// unsupported message class.
func TestRFC3868_SUA_SGPHandshakeAndCLDT(t *testing.T) {
	s, err := NewSGP(SGPConfig{Protocol: SUA, ASes: []ASConfig{{RoutingContext: 7, TrafficMode: TrafficModeLoadshare}}})
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, s)
	r.step(AssocUp{Assoc: 1, Streams: 4})
	up := &Message{Protocol: SUA, Kind: KindASPUP}
	got := sentTo(r.in(1, up), 1)
	if got[0].Kind != KindASPUPAck || got[0].Protocol != SUA {
		t.Fatalf("sent %+v", got[0])
	}
	r.in(1, &Message{Protocol: SUA, Kind: KindASPAC})
	c := &Message{Protocol: SUA, Kind: KindCLDT, SUA: &SUAData{SequenceControl: 3}}
	if n := notifies(r.step(MessageIn{Assoc: 1, Stream: 1, Msg: c}), NotifyDeliver); len(n) != 1 {
		t.Fatal("CLDT not delivered")
	}
	wantErr(t, sentTo(r.step(MessageIn{Assoc: 1, Stream: 1, Msg: mkData(1, 2, 3, 4)}), 1)[0], ErrUnsupportedMessageClass)
}
