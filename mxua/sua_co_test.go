package mxua

import (
	"net/netip"
	"testing"
)

var suaCOGoldens = []codecGolden{
	{"CORE", &Message{Protocol: SUA, Kind: KindCORE, SUA: &SUAData{
		ProtocolClass:   2,
		SourceReference: cdcU32(0x123456),
		Destination: &SCCPAddress{RoutingIndicator: RouteOnSSNIP, AddressIndicator: AddressIndicatorSSN, SSN: cdcU8(254),
			IP: netip.MustParseAddr("10.0.0.1")},
		SequenceControl: 5,
		Source:          &SCCPAddress{RoutingIndicator: RouteOnHostname, Hostname: "stp.example"},
		Data:            []byte{1, 2},
	}},
		"01000801 00000058 01150008 00000002 01040008 00123456" +
			"01030018 00040001 80030008 000000fe 80040008 0a000001" +
			"01160008 00000005 01020018 00030000 8005000f 7374702e 6578616d 706c6500 010b0006 01020000"},
	{"CORE-IPv6", &Message{Protocol: SUA, Kind: KindCORE, SUA: &SUAData{
		ProtocolClass:   3,
		SourceReference: cdcU32(1),
		Destination: &SCCPAddress{RoutingIndicator: RouteOnSSNIP, AddressIndicator: AddressIndicatorSSN, SSN: cdcU8(6),
			IP: netip.MustParseAddr("2001:db8::1")},
		SequenceControl: 0,
		Credit:          cdcU32(4),
	}},
		"01000801 0000004c 01150008 00000003 01040008 00000001" +
			"01030024 00040001 80030008 00000006 80060014 20010db8 00000000 00000000 00000001" +
			"01160008 00000000 010a0008 00000004"},
	{"COAK", &Message{Protocol: SUA, Kind: KindCOAK, SUA: &SUAData{
		ProtocolClass: 2, DestReference: cdcU32(0x123456), SourceReference: cdcU32(0xabcdef), SequenceControl: 5,
		Credit: cdcU32(10), Importance: cdcU8(4),
	}},
		"01000802 00000038 01150008 00000002 01050008 00123456 01040008 00abcdef 01160008 00000005 010a0008 0000000a 01130008 00000004"},
	{"COREF", &Message{Protocol: SUA, Kind: KindCOREF, SUA: &SUAData{DestReference: cdcU32(0x123456), SCCPCause: cdcU32(0x0201)}},
		"01000803 00000018 01050008 00123456 01060008 00000201"},
	{"RELRE", &Message{Protocol: SUA, Kind: KindRELRE, SUA: &SUAData{DestReference: cdcU32(0xabcdef), SourceReference: cdcU32(0x123456),
		SCCPCause: cdcU32(0x0300), Data: []byte{0xab}}},
		"01000804 00000028 01050008 00abcdef 01040008 00123456 01060008 00000300 010b0005 ab000000"},
	{"RELCO", &Message{Protocol: SUA, Kind: KindRELCO, SUA: &SUAData{DestReference: cdcU32(0x123456), SourceReference: cdcU32(0xabcdef)}},
		"01000805 00000018 01050008 00123456 01040008 00abcdef"},
	{"RESCO", &Message{Protocol: SUA, Kind: KindRESCO, SUA: &SUAData{DestReference: cdcU32(0x123456), SourceReference: cdcU32(0xabcdef)}},
		"01000806 00000018 01050008 00123456 01040008 00abcdef"},
	{"RESRE", &Message{Protocol: SUA, Kind: KindRESRE, SUA: &SUAData{DestReference: cdcU32(0x123456), SourceReference: cdcU32(0xabcdef),
		SCCPCause: cdcU32(0x0401)}},
		"01000807 00000020 01050008 00123456 01040008 00abcdef 01060008 00000401"},
	{"CODT", &Message{Protocol: SUA, Kind: KindCODT, RoutingContexts: []uint32{1}, SUA: &SUAData{SequenceNumber: cdcU32(0x0204),
		DestReference: cdcU32(0x123456), Data: []byte{0x0a, 0x0b, 0x0c}}},
		"01000808 00000028 00060008 00000001 01070008 00000204 01050008 00123456 010b0007 0a0b0c00"},
	{"CODA", &Message{Protocol: SUA, Kind: KindCODA, SUA: &SUAData{DestReference: cdcU32(0x123456), ReceiveSequenceNumber: cdcU32(2), Credit: cdcU32(5)}},
		"01000809 00000020 01050008 00123456 01080008 00000002 010a0008 00000005"},
	{"COERR", &Message{Protocol: SUA, Kind: KindCOERR, SUA: &SUAData{DestReference: cdcU32(0x123456), SCCPCause: cdcU32(0x050f)}},
		"0100080a 00000018 01050008 00123456 01060008 0000050f"},
	{"COIT", &Message{Protocol: SUA, Kind: KindCOIT, SUA: &SUAData{ProtocolClass: 3, SourceReference: cdcU32(0xabcdef),
		DestReference: cdcU32(0x123456), SequenceNumber: cdcU32(0), Credit: cdcU32(10)}},
		"0100080b 00000030 01150008 00000003 01040008 00abcdef 01050008 00123456 01070008 00000000 010a0008 0000000a"},
}

func TestSUACOGoldens(t *testing.T) { runCodecGoldens(t, suaCOGoldens) }
