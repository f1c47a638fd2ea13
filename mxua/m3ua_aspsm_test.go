package mxua

import "testing"

var m3uaASPSMGoldens = []codecGolden{
	{"ASPUP", &Message{Protocol: M3UA, Kind: KindASPUP, ASPIdentifier: cdcU32(1)}, "01000301 00000010 00110008 00000001"},
	{"ASPUP-ACK", &Message{Protocol: M3UA, Kind: KindASPUPAck}, "01000304 00000008"},
	{"ASPDN", &Message{Protocol: M3UA, Kind: KindASPDN, InfoString: "bye"}, "01000302 00000010 00040007 62796500"},
	{"ASPDN-ACK", &Message{Protocol: M3UA, Kind: KindASPDNAck}, "01000305 00000008"},
	{"BEAT", &Message{Protocol: M3UA, Kind: KindBEAT, HeartbeatData: []byte{1, 2, 3, 4, 5}},
		"01000303 00000014 00090009 01020304 05000000"},
	{"BEAT-ACK", &Message{Protocol: M3UA, Kind: KindBEATAck, HeartbeatData: []byte{1, 2, 3, 4, 5}},
		"01000306 00000014 00090009 01020304 05000000"},
}

func TestM3UAASPSMGoldens(t *testing.T) { runCodecGoldens(t, m3uaASPSMGoldens) }
