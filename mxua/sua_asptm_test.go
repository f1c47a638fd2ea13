package mxua

import "testing"

var suaASPTMGoldens = []codecGolden{
	{"ASPAC", &Message{Protocol: SUA, Kind: KindASPAC, TrafficMode: TrafficModeLoadshare, RoutingContexts: []uint32{1},
		TIDLabel: &Label{Start: 0, End: 7, Value: 3}, DRNLabel: &Label{Start: 8, End: 15, Value: 0x0100}},
		"01000401 00000028 000b0008 00000002 00060008 00000001 01100008 00070003 010f0008 080f0100"},
	{"ASPAC-ACK", &Message{Protocol: SUA, Kind: KindASPACAck, TrafficMode: TrafficModeLoadshare, RoutingContexts: []uint32{1}},
		"01000403 00000018 000b0008 00000002 00060008 00000001"},
	{"ASPIA", &Message{Protocol: SUA, Kind: KindASPIA}, "01000402 00000008"},
	{"ASPIA-ACK", &Message{Protocol: SUA, Kind: KindASPIAAck, RoutingContexts: []uint32{1}}, "01000404 00000010 00060008 00000001"},
}

func TestSUAASPTMGoldens(t *testing.T) { runCodecGoldens(t, suaASPTMGoldens) }
