package wire

import "testing"

var takeoverGoldens = []messageGolden{
	{&InitTakeover{SenderServerID: 0x11111111, ReceiverServerID: 0x22222222, TargetServerID: 0x33333333},
		"07 00 0010 11111111 22222222 33333333"},
	{&InitTakeoverAck{SenderServerID: 0x22222222, ReceiverServerID: 0x11111111, TargetServerID: 0x33333333},
		"08 00 0010 22222222 11111111 33333333"},
	{&TakeoverServer{SenderServerID: 0x11111111, ReceiverServerID: 0x22222222, TargetServerID: 0x33333333},
		"09 00 0010 11111111 22222222 33333333"},
}

func TestTakeoverGoldens(t *testing.T) { checkMessageGoldens(t, takeoverGoldens) }
