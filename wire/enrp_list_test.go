package wire

import "testing"

var listGoldens = []messageGolden{
	{&ListRequest{SenderServerID: 0x11111111, ReceiverServerID: 0x22222222}, "05 00 000c 11111111 22222222"},
	{&ListResponse{SenderServerID: 0x22222222, ReceiverServerID: 0x11111111, Servers: []ServerInformation{goldenServerInfo()}},
		"06 00 0024 22222222 11111111" + hexServerInfo},
	{&ListResponse{Reject: true, SenderServerID: 0x22222222, ReceiverServerID: 0x11111111},
		"06 01 000c 22222222 11111111"},
}

func TestListGoldens(t *testing.T) { checkMessageGoldens(t, listGoldens) }
