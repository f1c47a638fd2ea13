package mxua

import "testing"

var suaASPSMGoldens = []codecGolden{
	{"ASPUP", &Message{Protocol: SUA, Kind: KindASPUP, ASPIdentifier: cdcU32(2), ASPCapabilities: cdcU32(0x00000f02)},
		"01000301 00000018 00110008 00000002 01090008 00000f02"},
	{"ASPUP-ACK", &Message{Protocol: SUA, Kind: KindASPUPAck}, "01000304 00000008"},
	{"ASPDN", &Message{Protocol: SUA, Kind: KindASPDN}, "01000302 00000008"},
	{"ASPDN-ACK", &Message{Protocol: SUA, Kind: KindASPDNAck}, "01000305 00000008"},
	{"BEAT", &Message{Protocol: SUA, Kind: KindBEAT, HeartbeatData: []byte{0xde, 0xad}}, "01000303 00000010 00090006 dead0000"},
	{"BEAT-ACK", &Message{Protocol: SUA, Kind: KindBEATAck, HeartbeatData: []byte{0xde, 0xad}}, "01000306 00000010 00090006 dead0000"},
}

func TestSUAASPSMGoldens(t *testing.T) { runCodecGoldens(t, suaASPSMGoldens) }
