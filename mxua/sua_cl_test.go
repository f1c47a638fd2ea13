package mxua

import "testing"

// Addresses shared by the SUA goldens.
func cdcAddrPC(pc uint32, ssn uint8) *SCCPAddress {
	return &SCCPAddress{RoutingIndicator: RouteOnSSNPC, AddressIndicator: AddressIndicatorPC | AddressIndicatorSSN, PointCode: &pc, SSN: &ssn}
}

var suaCLGoldens = []codecGolden{
	{"CLDT", &Message{Protocol: SUA, Kind: KindCLDT, RoutingContexts: []uint32{1}, SUA: &SUAData{
		ProtocolClass: 0x80,
		Source:        cdcAddrPC(0x0102, 8),
		Destination: &SCCPAddress{RoutingIndicator: RouteOnGT, AddressIndicator: AddressIndicatorGT | AddressIndicatorSSN,
			GlobalTitle: &GlobalTitle{GTI: GTITTNPESNAI, NumberingPlan: 1, NatureOfAddress: 4, Digits: "4930123"}, SSN: cdcU8(6)},
		SequenceControl: 0,
		HopCounter:      cdcU8(15),
		Data:            []byte{0x62, 0x01, 0x00},
	}},
		"01000701 00000068 00060008 00000001 01150008 00000080" +
			"01020018 00020003 80020008 00000102 80030008 00000008" +
			"01030020 00010005 80010010 00000004 07000104 94032103 80030008 00000006" +
			"01160008 00000000 01010008 0000000f 010b0007 62010000"},
	{"CLDR", &Message{Protocol: SUA, Kind: KindCLDR, SUA: &SUAData{
		SCCPCause: cdcU32(0x0101), Source: cdcAddrPC(0x0102, 8), Destination: cdcAddrPC(0x0201, 6),
	}},
		"01000702 00000040 01060008 00000101 01020018 00020003 80020008 00000102 80030008 00000008" +
			"01030018 00020003 80020008 00000201 80030008 00000006"},
	{"CLDT-GTI2-even-digits", &Message{Protocol: SUA, Kind: KindCLDT, SUA: &SUAData{
		ProtocolClass:   1,
		SequenceControl: 0x0a,
		Source: &SCCPAddress{RoutingIndicator: RouteOnGT, AddressIndicator: AddressIndicatorGT,
			GlobalTitle: &GlobalTitle{GTI: GTITranslationType, TranslationType: 9, Digits: "1234"}},
		Destination: &SCCPAddress{RoutingIndicator: RouteOnGT, AddressIndicator: AddressIndicatorGT,
			GlobalTitle: &GlobalTitle{GTI: GTINatureOfAddress, NatureOfAddress: 3, Digits: "0B"}},
		Importance:      cdcU8(5),
		MessagePriority: cdcU8(2),
		Segmentation:    cdcU32(0x81000001),
		Data:            []byte{},
	}, CorrelationID: cdcU32(0x11)},
		"01000701 0000006c 01150008 00000001" +
			"01020018 00010004 8001000e 00000002 04090000 21430000" +
			"01030018 00010004 8001000d 00000001 02000003 b0000000" +
			"01160008 0000000a 01130008 00000005 01140008 00000002 00130008 00000011 01170008 81000001 010b0004"},
}

func TestSUACLGoldens(t *testing.T) { runCodecGoldens(t, suaCLGoldens) }
