package mxua

import "testing"

var m3uaRKMGoldens = []codecGolden{
	{"REG-REQ", &Message{Protocol: M3UA, Kind: KindREGREQ, RoutingKeys: []RoutingKeyParam{{
		LocalRKIdentifier: 1, TrafficMode: TrafficModeLoadshare, DPC: cdcU32(0x0203),
		ServiceIndicators: []uint8{5}, OPCs: []uint32{0x64, 0x65},
		CircuitRanges: []CircuitRange{{OPC: 0x64, LowCIC: 1, HighCIC: 31}},
	}}},
		"01000901 00000044 0207003c 020a0008 00000001 000b0008 00000002 020b0008 00000203" +
			"020c0005 05000000 020e000c 00000064 00000065 020f000c 00000064 0001001f"},
	{"REG-REQ-two-keys", &Message{Protocol: M3UA, Kind: KindREGREQ, RoutingKeys: []RoutingKeyParam{
		{LocalRKIdentifier: 1, RoutingContext: cdcU32(7), DPC: cdcU32(1)},
		{LocalRKIdentifier: 2, DPC: cdcU32(2), NetworkAppearance: cdcU32(3)},
	}},
		"01000901 00000040 0207001c 020a0008 00000001 00060008 00000007 020b0008 00000001" +
			"0207001c 020a0008 00000002 020b0008 00000002 02000008 00000003"},
	{"REG-RSP", &Message{Protocol: M3UA, Kind: KindREGRSP, RegistrationResults: []RegistrationResult{{LocalRKIdentifier: 1, RoutingContext: 10}}},
		"01000902 00000024 0208001c 020a0008 00000001 02120008 00000000 00060008 0000000a"},
	{"DEREG-REQ", &Message{Protocol: M3UA, Kind: KindDEREGREQ, RoutingContexts: []uint32{10}},
		"01000903 00000010 00060008 0000000a"},
	{"DEREG-RSP", &Message{Protocol: M3UA, Kind: KindDEREGRSP, DeregistrationResult: []DeregistrationResult{{RoutingContext: 10}}},
		"01000904 0000001c 02090014 00060008 0000000a 02130008 00000000"},
}

func TestM3UARKMGoldens(t *testing.T) { runCodecGoldens(t, m3uaRKMGoldens) }
