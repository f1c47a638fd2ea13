package wire

import "testing"

var registrationGoldens = []messageGolden{
	{&Registration{PoolHandle: PoolHandle("gwc-pool"), PoolElement: goldenPE()},
		"01 00 003c" + hexPoolHandle + hexPE},
	{&Deregistration{PoolHandle: PoolHandle("gwc-pool"), PEIdentifier: 0x1234},
		"02 00 0018" + hexPoolHandle + hexPEID},
	{&RegistrationResponse{PoolHandle: PoolHandle("gwc-pool"), PEIdentifier: 0x1234},
		"03 00 0018" + hexPoolHandle + hexPEID},
	// R flag, and an Operation Error whose cause carries the offending policy.
	{&RegistrationResponse{
		Reject: true, PoolHandle: PoolHandle("gwc-pool"), PEIdentifier: 0x1234,
		Error: &OperationError{Causes: []ErrorCause{{Code: CauseInconsistentPoolingPolicy, Info: hx(hexPolicyRR)}}},
	}, "03 01 0028" + hexPoolHandle + hexPEID + "000c 0010 0005 000c" + hexPolicyRR},
	{&DeregistrationResponse{PoolHandle: PoolHandle("gwc-pool"), PEIdentifier: 0x1234},
		"04 00 0018" + hexPoolHandle + hexPEID},
	{&DeregistrationResponse{
		PoolHandle: PoolHandle("gwc-pool"), PEIdentifier: 0x1234,
		Error: &OperationError{Causes: []ErrorCause{{Code: CauseUnknownPoolHandle}}},
	}, "04 00 0020" + hexPoolHandle + hexPEID + "000c 0008 0009 0004"},
}

func TestRegistrationGoldens(t *testing.T) { checkMessageGoldens(t, registrationGoldens) }

func TestRegistrationResponseIgnoresUndefinedFlags(t *testing.T) {
	m, _, err := DecodeASAP(hx("03 fe 0018" + hexPoolHandle + hexPEID))
	if err != nil || m.(*RegistrationResponse).Reject {
		t.Fatal(m, err)
	}
}
