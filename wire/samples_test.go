package wire

import "net/netip"

// Samples cover all 24 message types and every parameter kind: IPv4 and
// IPv6 addresses, all five transports, many policies, operation errors with
// several causes, cookie, PE checksum and the handle resolution option. The
// tshark conformance test encodes each and checks the dissection.

var (
	sampleV4a = netip.MustParseAddr("10.0.0.1")
	sampleV4b = netip.MustParseAddr("192.168.17.42")
	sampleV6  = netip.MustParseAddr("2001:db8::5")
)

func sampleSCTP(port uint16) Transport {
	return Transport{Kind: TransportSCTP, Port: port, Use: TransportUseDataPlusControl, Addresses: []netip.Addr{sampleV4a, sampleV6}}
}

func sampleTCP(port uint16) Transport {
	return Transport{Kind: TransportTCP, Port: port, Use: TransportUseDataOnly, Addresses: []netip.Addr{sampleV4b}}
}

func sampleUDP(port uint16) Transport {
	return Transport{Kind: TransportUDP, Port: port, Addresses: []netip.Addr{sampleV6}}
}

func sampleUDPLite(port uint16) Transport {
	return Transport{Kind: TransportUDPLite, Port: port, Addresses: []netip.Addr{sampleV4a}}
}

func sampleDCCP(port uint16) Transport {
	return Transport{Kind: TransportDCCP, Port: port, ServiceCode: 42, Addresses: []netip.Addr{sampleV4b}}
}

func samplePE(id PEIdentifier, user Transport, pol Policy) PoolElement {
	return PoolElement{Identifier: id, HomeRegistrar: 0x01020304, RegistrationLife: 90000, UserTransport: user, Policy: pol}
}

func sampleENRPPE(id PEIdentifier, user Transport, pol Policy) PoolElement {
	pe := samplePE(id, user, pol)
	asap := sampleSCTP(3863)
	pe.ASAPTransport = &asap
	return pe
}

func sampleOperationError() OperationError {
	return OperationError{Causes: []ErrorCause{
		UnrecognizedParameterCause([]byte{0x40, 0x55, 0x00, 0x07, 0xaa, 0xbb, 0xcc}),
		{Code: CauseInvalidValues, Info: []byte{0x00, 0x0e, 0x00, 0x08, 0x00, 0x00, 0x00, 0x07}},
		{Code: CauseNonUniquePEIdentifier},
		{Code: CauseUnknownPoolHandle},
		{Code: CauseRejectionDueToSecurity},
		{Code: 0xf003, Info: []byte{1, 2, 3}}, // an RSPLIB-internal code
	}}
}

// mustParam encodes a parameter for use as cause information.
func mustParam(p Parameter) []byte {
	b, err := p.AppendTo(nil)
	if err != nil {
		panic(err)
	}
	return b
}

func pePtr(id PEIdentifier) *PEIdentifier { return &id }

func samplePolicies() []Policy {
	return []Policy{
		{Type: PolicyRoundRobin},
		{Type: PolicyWeightedRoundRobin, Weight: 3},
		{Type: PolicyRandom},
		{Type: PolicyWeightedRandom, Weight: 7},
		{Type: PolicyPriority, Priority: 2},
		{Type: PolicyLeastUsed, Load: FractionOf(0.25)},
		{Type: PolicyLeastUsedWithDegradation, Load: FractionOf(0.5), LoadDegradation: FractionOf(0.01)},
		{Type: PolicyPriorityLeastUsed, Load: FractionOf(0.75), LoadDegradation: FractionOf(0.02)},
		{Type: PolicyRandomizedLeastUsed, Load: FractionOf(0.1)},
		{Type: PolicyRandomizedPriorityLeastUsed, Load: FractionOf(0.2), LoadDegradation: FractionOf(0.03)},
		{Type: PolicyRandomizedLeastUsedWithDegradation, Load: FractionOf(0.3), LoadDegradation: FractionOf(0.04)},
		{Type: PolicyPriorityLeastUsedWithDegradation, Load: FractionOf(0.4), LoadDegradation: FractionOf(0.05)},
		{Type: PolicyRandomizedPriorityLeastUsedWithDegradation, Load: FractionOf(0.6), LoadDegradation: FractionOf(0.06)},
		{Type: PolicyWeightedRandomWithDPF, Weight: 5, WeightDPF: FractionOf(0.001), Distance: 20},
		{Type: PolicyLeastUsedWithDPF, Load: FractionOf(0.9), LoadDPF: FractionOf(0.002), Distance: 35},
		{Type: PolicyLeastUsedWithDegradationAndDPF, Load: FractionOf(0.33), LoadDegradation: FractionOf(0.07), LoadDPF: FractionOf(0.003), Distance: 50},
	}
}

func sampleASAPMessages() []Message {
	pols := samplePolicies()
	ph := PoolHandle("gwc-pool")
	var hrrPEs []PoolElement
	transports := []Transport{sampleSCTP(2905), sampleTCP(2906), sampleUDP(2907), sampleUDPLite(2908), sampleDCCP(2909)}
	for i, pol := range pols {
		hrrPEs = append(hrrPEs, samplePE(PEIdentifier(0x1000+i), transports[i%len(transports)], pol))
	}
	return []Message{
		&Registration{PoolHandle: ph, PoolElement: samplePE(0x1234, sampleSCTP(2905), pols[5])},
		&Deregistration{PoolHandle: ph, PEIdentifier: 0x1234},
		&RegistrationResponse{PoolHandle: ph, PEIdentifier: 0x1234},
		&RegistrationResponse{Reject: true, PoolHandle: ph, PEIdentifier: 0x1235, Error: &OperationError{Causes: []ErrorCause{{Code: CauseInconsistentPoolingPolicy, Info: []byte{0x00, 0x08, 0x00, 0x08, 0x00, 0x00, 0x00, 0x03}}}}},
		&DeregistrationResponse{PoolHandle: ph, PEIdentifier: 0x1234},
		&DeregistrationResponse{PoolHandle: ph, PEIdentifier: 0x1236, Error: &OperationError{Causes: []ErrorCause{{Code: CauseLackOfResources}}}},
		&HandleResolution{PoolHandle: ph},
		&HandleResolution{PoolHandle: ph, Option: &HandleResolutionOption{Items: AllItems}},
		&HandleResolutionResponse{PoolHandle: ph, Policy: &pols[0], PoolElements: hrrPEs},
		&HandleResolutionResponse{PoolHandle: PoolHandle("nope"), Error: &OperationError{Causes: []ErrorCause{{Code: CauseUnknownPoolHandle}}}},
		&EndpointKeepAlive{ServerID: 0xaabbccdd, PoolHandle: ph},
		&EndpointKeepAlive{Home: true, ServerID: 0xaabbccdd, PoolHandle: ph, PEIdentifier: pePtr(0x1234)},
		&EndpointKeepAliveAck{PoolHandle: ph, PEIdentifier: 0x1234},
		&EndpointUnreachable{PoolHandle: ph, PEIdentifier: 0x1234},
		&ServerAnnounce{ServerID: 0xaabbccdd},
		&ServerAnnounce{ServerID: 0xaabbccdd, Transports: []Transport{sampleSCTP(3863), sampleTCP(3863), sampleUDP(3863)}},
		&CookieMessage{Cookie: Cookie("call-17:state")},
		&CookieEcho{Cookie: Cookie{0xde, 0xad, 0xbe, 0xef, 0x01}},
		&BusinessCard{PoolHandle: ph, Policy: &pols[6], PoolElements: []PoolElement{
			samplePE(1, sampleSCTP(2905), pols[6]),
			samplePE(2, sampleDCCP(2905), pols[6]),
			samplePE(3, sampleUDPLite(2905), pols[6]),
		}},
		&ASAPErrorMessage{Error: sampleOperationError()},
		&ASAPErrorMessage{Error: OperationError{Causes: []ErrorCause{
			UnrecognizedMessageCause([]byte{0x3f, 0x00, 0x00, 0x0c, 0x00, 0x0e, 0x00, 0x08, 0x00, 0x00, 0x00, 0x07}),
			{Code: CauseInconsistentTransportType, Info: mustParam(sampleUDP(2905))},
			{Code: CauseInconsistentDataControlConfig},
		}}},
	}
}

func sampleENRPMessages() []Message {
	pols := samplePolicies()
	ph := PoolHandle("gwc-pool")
	si := func(id uint32, t Transport) ServerInformation { return ServerInformation{ServerID: id, Transport: t} }
	self := si(0x11111111, sampleSCTP(9901))
	return []Message{
		&Presence{ReplyRequired: true, SenderServerID: 0x11111111, PEChecksum: PEChecksumOf(ph, 0x1234), ServerInformation: &self},
		&Presence{SenderServerID: 0x11111111, ReceiverServerID: 0x22222222, PEChecksum: 0xffff, ServerInformation: &self},
		&HandleTableRequest{SenderServerID: 0x11111111, ReceiverServerID: 0x22222222},
		&HandleTableRequest{OwnChildrenOnly: true, SenderServerID: 0x11111111, ReceiverServerID: 0x22222222},
		&HandleTableResponse{MoreToSend: true, SenderServerID: 0x22222222, ReceiverServerID: 0x11111111, Entries: []PoolEntry{
			{PoolHandle: ph, PoolElements: []PoolElement{
				sampleENRPPE(1, sampleSCTP(2905), pols[7]),
				sampleENRPPE(2, sampleTCP(2905), pols[7]),
			}},
			{PoolHandle: PoolHandle("sg"), PoolElements: []PoolElement{
				sampleENRPPE(3, sampleUDP(2905), pols[13]),
			}},
		}},
		&HandleTableResponse{Reject: true, SenderServerID: 0x22222222, ReceiverServerID: 0x11111111},
		&HandleUpdate{SenderServerID: 0x11111111, ReceiverServerID: 0x22222222, Action: UpdateActionAddPE, PoolHandle: ph, PoolElement: sampleENRPPE(0x1234, sampleSCTP(2905), pols[14])},
		&HandleUpdate{TakeoverSuggested: true, SenderServerID: 0x11111111, Action: UpdateActionDeletePE, PoolHandle: ph, PoolElement: sampleENRPPE(0x1234, sampleDCCP(2905), pols[15])},
		&ListRequest{SenderServerID: 0x11111111, ReceiverServerID: 0x22222222},
		&ListResponse{SenderServerID: 0x22222222, ReceiverServerID: 0x11111111, Servers: []ServerInformation{
			self, si(0x33333333, sampleTCP(9901)), si(0x44444444, sampleUDPLite(9901)),
		}},
		&ListResponse{Reject: true, SenderServerID: 0x22222222, ReceiverServerID: 0x11111111},
		&InitTakeover{SenderServerID: 0x11111111, ReceiverServerID: 0x22222222, TargetServerID: 0x33333333},
		&InitTakeoverAck{SenderServerID: 0x22222222, ReceiverServerID: 0x11111111, TargetServerID: 0x33333333},
		&TakeoverServer{SenderServerID: 0x11111111, ReceiverServerID: 0x22222222, TargetServerID: 0x33333333},
		&ENRPErrorMessage{SenderServerID: 0x22222222, ReceiverServerID: 0x11111111, Error: sampleOperationError()},
	}
}
