package mxua

import "testing"

var suaSSNMGoldens = []codecGolden{
	{"DUNA", &Message{Protocol: SUA, Kind: KindDUNA, RoutingContexts: []uint32{1}, AffectedPointCodes: []AffectedPointCode{{PointCode: 100}},
		AffectedSSN: cdcU8(8), SMI: cdcU8(1)},
		"01000201 00000028 00060008 00000001 00120008 00000064 80030008 00000008 01120008 00000001"},
	{"DAVA", &Message{Protocol: SUA, Kind: KindDAVA, AffectedPointCodes: []AffectedPointCode{{PointCode: 100}}, AffectedSSN: cdcU8(0x92)},
		"01000202 00000018 00120008 00000064 80030008 00000092"},
	{"DAUD", &Message{Protocol: SUA, Kind: KindDAUD, AffectedPointCodes: []AffectedPointCode{{PointCode: 100}}},
		"01000203 00000010 00120008 00000064"},
	{"SCON", &Message{Protocol: SUA, Kind: KindSCON, AffectedPointCodes: []AffectedPointCode{{PointCode: 100}}, AffectedSSN: cdcU8(8), CongestionLevel: cdcU8(3)},
		"01000204 00000020 00120008 00000064 80030008 00000008 01180008 00000003"},
	{"DUPU", &Message{Protocol: SUA, Kind: KindDUPU, AffectedPointCodes: []AffectedPointCode{{PointCode: 100}}, UserCause: &UserCause{Cause: 0, User: 3}},
		"01000205 00000018 00120008 00000064 010c0008 00000003"},
	{"DRST", &Message{Protocol: SUA, Kind: KindDRST, AffectedPointCodes: []AffectedPointCode{{PointCode: 100}}},
		"01000206 00000010 00120008 00000064"},
}

func TestSUASSNMGoldens(t *testing.T) { runCodecGoldens(t, suaSSNMGoldens) }
