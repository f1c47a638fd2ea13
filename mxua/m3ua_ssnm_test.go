package mxua

import "testing"

var m3uaSSNMGoldens = []codecGolden{
	{"DUNA", &Message{Protocol: M3UA, Kind: KindDUNA, RoutingContexts: []uint32{1},
		AffectedPointCodes: []AffectedPointCode{{PointCode: 0x0102}, {Mask: 3, PointCode: 0x1234}}, InfoString: "x"},
		"01000201 00000024 00060008 00000001 0012000c 00000102 03001234 00040005 78000000"},
	{"DAVA", &Message{Protocol: M3UA, Kind: KindDAVA, AffectedPointCodes: []AffectedPointCode{{PointCode: 100}}},
		"01000202 00000010 00120008 00000064"},
	{"DAUD", &Message{Protocol: M3UA, Kind: KindDAUD, NetworkAppearance: cdcU32(2), AffectedPointCodes: []AffectedPointCode{{PointCode: 100}}},
		"01000203 00000018 02000008 00000002 00120008 00000064"},
	{"SCON", &Message{Protocol: M3UA, Kind: KindSCON, AffectedPointCodes: []AffectedPointCode{{PointCode: 100}},
		ConcernedDestination: cdcU32(0x0203), CongestionLevel: cdcU8(2)},
		"01000204 00000020 00120008 00000064 02060008 00000203 02050008 00000002"},
	{"DUPU", &Message{Protocol: M3UA, Kind: KindDUPU, AffectedPointCodes: []AffectedPointCode{{PointCode: 100}},
		UserCause: &UserCause{Cause: 2, User: 5}},
		"01000205 00000018 00120008 00000064 02040008 00020005"},
	{"DRST", &Message{Protocol: M3UA, Kind: KindDRST, AffectedPointCodes: []AffectedPointCode{{PointCode: 100}}},
		"01000206 00000010 00120008 00000064"},
}

func TestM3UASSNMGoldens(t *testing.T) { runCodecGoldens(t, m3uaSSNMGoldens) }
