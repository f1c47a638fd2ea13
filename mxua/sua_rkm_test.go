package mxua

import "testing"

var suaRKMGoldens = []codecGolden{
	{"REG-REQ", &Message{Protocol: SUA, Kind: KindREGREQ, RoutingKeys: []RoutingKeyParam{{
		LocalRKIdentifier: 1, TrafficMode: TrafficModeLoadshare,
		// Decoding fills the DPC/SSN shorthand from the first address.
		DPC: cdcU32(0x64), SSN: cdcU8(8),
		DestinationAddresses: []SCCPAddress{*cdcAddrPC(0x64, 8)},
	}}},
		"01000901 00000034 010e002c 00180008 00000001 000b0008 00000002 01030018 00020003 80020008 00000064 80030008 00000008"},
	{"REG-RSP", &Message{Protocol: SUA, Kind: KindREGRSP, RegistrationResults: []RegistrationResult{{LocalRKIdentifier: 1, RoutingContext: 10}}},
		"01000902 00000024 0014001c 00180008 00000001 00160008 00000000 00060008 0000000a"},
	{"DEREG-REQ", &Message{Protocol: SUA, Kind: KindDEREGREQ, RoutingContexts: []uint32{10}}, "01000903 00000010 00060008 0000000a"},
	{"DEREG-RSP", &Message{Protocol: SUA, Kind: KindDEREGRSP, DeregistrationResult: []DeregistrationResult{{RoutingContext: 10, Status: 4}}},
		"01000904 0000001c 00150014 00060008 0000000a 00170008 00000004"},
}

func TestSUARKMGoldens(t *testing.T) { runCodecGoldens(t, suaRKMGoldens) }
