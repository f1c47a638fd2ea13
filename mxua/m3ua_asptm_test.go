package mxua

import "testing"

var m3uaASPTMGoldens = []codecGolden{
	{"ASPAC", &Message{Protocol: M3UA, Kind: KindASPAC, TrafficMode: TrafficModeLoadshare, RoutingContexts: []uint32{1, 2}},
		"01000401 0000001c 000b0008 00000002 0006000c 00000001 00000002"},
	{"ASPAC-ACK", &Message{Protocol: M3UA, Kind: KindASPACAck, TrafficMode: TrafficModeOverride, RoutingContexts: []uint32{1}},
		"01000403 00000018 000b0008 00000001 00060008 00000001"},
	{"ASPIA", &Message{Protocol: M3UA, Kind: KindASPIA, RoutingContexts: []uint32{1}}, "01000402 00000010 00060008 00000001"},
	{"ASPIA-ACK", &Message{Protocol: M3UA, Kind: KindASPIAAck}, "01000404 00000008"},
}

func TestM3UAASPTMGoldens(t *testing.T) { runCodecGoldens(t, m3uaASPTMGoldens) }
