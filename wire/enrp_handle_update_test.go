package wire

import "testing"

var handleUpdateGoldens = []messageGolden{
	{&HandleUpdate{SenderServerID: 0x11111111, ReceiverServerID: 0x22222222, Action: UpdateActionAddPE,
		PoolHandle: PoolHandle("gwc-pool"), PoolElement: goldenENRPPE()},
		"04 00 0058 11111111 22222222 0000 0000" + hexPoolHandle + hexENRPPE},
	{&HandleUpdate{TakeoverSuggested: true, SenderServerID: 0x11111111, ReceiverServerID: 0x22222222, Action: UpdateActionDeletePE,
		PoolHandle: PoolHandle("gwc-pool"), PoolElement: goldenENRPPE()},
		"04 01 0058 11111111 22222222 0001 0000" + hexPoolHandle + hexENRPPE},
}

func TestHandleUpdateGoldens(t *testing.T) { checkMessageGoldens(t, handleUpdateGoldens) }

func TestHandleUpdateReservedIgnored(t *testing.T) {
	m, _, err := DecodeENRP(hx("04 00 0058 11111111 22222222 0001 ffff" + hexPoolHandle + hexENRPPE))
	if err != nil || m.(*HandleUpdate).Action != UpdateActionDeletePE {
		t.Fatal(m, err)
	}
	if _, err := Marshal(&HandleUpdate{Action: 2, PoolHandle: PoolHandle("x"), PoolElement: goldenENRPPE()}); err == nil {
		t.Fatal("action 2 encoded")
	}
	if UpdateActionAddPE.String() != "add PE" || UpdateAction(9).String() != "update action 9" {
		t.Fatal("names")
	}
}
