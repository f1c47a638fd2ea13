package wire

import "testing"

func goldenPE2() PoolElement {
	pe := goldenPE()
	pe.Identifier = 0x5678
	return pe
}

var handleResolutionGoldens = []messageGolden{
	{&HandleResolution{PoolHandle: PoolHandle("gwc-pool")}, "05 00 0010" + hexPoolHandle},
	{&HandleResolution{PoolHandle: PoolHandle("gwc-pool"), Option: &HandleResolutionOption{Items: 3}},
		"05 00 0018" + hexPoolHandle + "803f 0008 00000003"},
	{&HandleResolutionResponse{PoolHandle: PoolHandle("gwc-pool"), Policy: &Policy{Type: PolicyRoundRobin}, PoolElements: []PoolElement{goldenPE()}},
		"06 00 0044" + hexPoolHandle + hexPolicyRR + hexPE},
	{&HandleResolutionResponse{PoolHandle: PoolHandle("gwc-pool"), Policy: &Policy{Type: PolicyRoundRobin}, PoolElements: []PoolElement{goldenPE(), goldenPE2()}},
		"06 00 0070" + hexPoolHandle + hexPolicyRR + hexPE + "000a 002c 00005678 01020304 00015f90 " + hexSCTPUser + hexPolicyLU},
	// Unknown pool: handle and Operation Error only.
	{&HandleResolutionResponse{PoolHandle: PoolHandle("nope"), Error: &OperationError{Causes: []ErrorCause{{Code: CauseUnknownPoolHandle}}}},
		"06 00 0014 0009 0008 6e6f7065 000c 0008 0009 0004"},
}

func TestHandleResolutionGoldens(t *testing.T) { checkMessageGoldens(t, handleResolutionGoldens) }
