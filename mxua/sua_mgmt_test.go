package mxua

import "testing"

var suaMgmtGoldens = []codecGolden{
	{"ERR", &Message{Protocol: SUA, Kind: KindERR, ErrorCode: ErrUnsupportedMessageClass, DiagnosticInfo: []byte{1, 0, 0x0a, 1}},
		"01000000 00000018 000c0008 00000003 00070008 01000a01"},
	{"ERR-NA", &Message{Protocol: SUA, Kind: KindERR, ErrorCode: ErrInvalidNetworkAppearance, NetworkAppearance: cdcU32(9)},
		"01000000 00000018 000c0008 00000015 010d0008 00000009"},
	{"NTFY", &Message{Protocol: SUA, Kind: KindNTFY, Status: &Status{Type: StatusTypeASStateChange, Info: StatusASInactive}, RoutingContexts: []uint32{3}},
		"01000001 00000018 000d0008 00010002 00060008 00000003"},
}

func TestSUAMgmtGoldens(t *testing.T) { runCodecGoldens(t, suaMgmtGoldens) }
