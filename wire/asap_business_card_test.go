package wire

import "testing"

var businessCardGoldens = []messageGolden{
	{&BusinessCard{PoolHandle: PoolHandle("gwc-pool"), Policy: &Policy{Type: PolicyRoundRobin}, PoolElements: []PoolElement{goldenPE()}},
		"0d 00 0044" + hexPoolHandle + hexPolicyRR + hexPE},
	{&BusinessCard{PoolHandle: PoolHandle("gwc-pool"), PoolElements: []PoolElement{goldenPE(), goldenPE2()}},
		"0d 00 0068" + hexPoolHandle + hexPE + "000a 002c 00005678 01020304 00015f90 " + hexSCTPUser + hexPolicyLU},
}

func TestBusinessCardGoldens(t *testing.T) { checkMessageGoldens(t, businessCardGoldens) }
