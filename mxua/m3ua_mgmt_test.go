package mxua

import "testing"

var m3uaMgmtGoldens = []codecGolden{
	{"ERR", &Message{Protocol: M3UA, Kind: KindERR, ErrorCode: ErrMissingParameter, RoutingContexts: []uint32{5},
		DiagnosticInfo: []byte{0x01, 0x00, 0x03, 0x01}},
		"01000000 00000020 000c0008 00000016 00060008 00000005 00070008 01000301"},
	{"ERR-all", &Message{Protocol: M3UA, Kind: KindERR, ErrorCode: ErrDestinationStatusUnknown, RoutingContexts: []uint32{1},
		NetworkAppearance: cdcU32(2), AffectedPointCodes: []AffectedPointCode{{PointCode: 0x64}}},
		"01000000 00000028 000c0008 00000014 00060008 00000001 02000008 00000002 00120008 00000064"},
	{"NTFY", &Message{Protocol: M3UA, Kind: KindNTFY, Status: &Status{Type: StatusTypeASStateChange, Info: StatusASActive},
		ASPIdentifier: cdcU32(7), RoutingContexts: []uint32{1}},
		"01000001 00000020 000d0008 00010003 00110008 00000007 00060008 00000001"},
	{"NTFY-info", &Message{Protocol: M3UA, Kind: KindNTFY, Status: &Status{Type: StatusTypeOther, Info: StatusASPFailure},
		InfoString: "sgp1"},
		"01000001 00000018 000d0008 00020003 00040008 73677031"},
}

func TestM3UAMgmtGoldens(t *testing.T) { runCodecGoldens(t, m3uaMgmtGoldens) }
