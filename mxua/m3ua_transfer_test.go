package mxua

import "testing"

var m3uaTransferGoldens = []codecGolden{
	{"DATA", &Message{Protocol: M3UA, Kind: KindDATA, RoutingContexts: []uint32{1},
		ProtocolData:  &ProtocolData{OPC: 1, DPC: 2, SI: 5, NI: 2, MP: 0, SLS: 7, Payload: []byte{1, 2, 3}},
		CorrelationID: cdcU32(9)},
		"01000101 0000002c 00060008 00000001 02100013 00000001 00000002 05020007 01020300 00130008 00000009"},
	{"DATA-NA", &Message{Protocol: M3UA, Kind: KindDATA, NetworkAppearance: cdcU32(3),
		ProtocolData: &ProtocolData{OPC: 0x3fff, DPC: 0x2001, SI: 3, NI: 3, MP: 1, SLS: 15, Payload: []byte{0x09, 0x81, 0x03, 0x0e}}},
		"01000101 00000024 02000008 00000003 02100014 00003fff 00002001 0303010f 0981030e"},
	{"DATA-empty-payload", &Message{Protocol: M3UA, Kind: KindDATA,
		ProtocolData: &ProtocolData{OPC: 1, DPC: 2, SI: 5, Payload: []byte{}}},
		"01000101 00000018 02100010 00000001 00000002 05000000"},
}

func TestM3UATransferGoldens(t *testing.T) { runCodecGoldens(t, m3uaTransferGoldens) }
