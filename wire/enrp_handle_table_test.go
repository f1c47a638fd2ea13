package wire

import "testing"

func goldenENRPPE2() PoolElement {
	pe := goldenENRPPE()
	pe.Identifier = 0x5678
	return pe
}

var handleTableGoldens = []messageGolden{
	{&HandleTableRequest{SenderServerID: 0x11111111, ReceiverServerID: 0x22222222}, "02 00 000c 11111111 22222222"},
	{&HandleTableRequest{OwnChildrenOnly: true, SenderServerID: 0x11111111, ReceiverServerID: 0x22222222}, "02 01 000c 11111111 22222222"},
	{&HandleTableResponse{MoreToSend: true, SenderServerID: 0x11111111, ReceiverServerID: 0x22222222,
		Entries: []PoolEntry{{PoolHandle: PoolHandle("gwc-pool"), PoolElements: []PoolElement{goldenENRPPE()}}}},
		"03 02 0054 11111111 22222222" + hexPoolHandle + hexENRPPE},
	{&HandleTableResponse{Reject: true, SenderServerID: 0x11111111, ReceiverServerID: 0x22222222},
		"03 01 000c 11111111 22222222"},
	// Two pools, the second with two PEs: 4+8 + 12+60 + 8+60+60 = 212 bytes.
	{&HandleTableResponse{SenderServerID: 0x11111111, ReceiverServerID: 0x22222222,
		Entries: []PoolEntry{
			{PoolHandle: PoolHandle("gwc-pool"), PoolElements: []PoolElement{goldenENRPPE()}},
			{PoolHandle: PoolHandle("sg1"), PoolElements: []PoolElement{goldenENRPPE(), goldenENRPPE2()}},
		}},
		"03 00 00d4 11111111 22222222" + hexPoolHandle + hexENRPPE + "0009 0007 736731 00" + hexENRPPE +
			"000a 003c 00005678 01020304 00015f90 " + hexSCTPUser + hexPolicyLU + hexSCTPASAP},
}

func TestHandleTableGoldens(t *testing.T) { checkMessageGoldens(t, handleTableGoldens) }
