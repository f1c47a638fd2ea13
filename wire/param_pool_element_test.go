package wire

import (
	"errors"
	"testing"
)

func TestPoolElementGolden(t *testing.T) {
	checkParamGolden(t, goldenPE(), hexPE)
	// In ENRP the PE also carries the transport it registered over.
	checkParamGolden(t, goldenENRPPE(), hexENRPPE)
}

func TestPoolElementAnyOrder(t *testing.T) {
	// Policy before the user transport: accepted, same value.
	in := hx("000a 002c 00001234 01020304 00015f90 " + hexPolicyLU + hexSCTPUser)
	p, _, _, err := DecodeParameter(in)
	if err != nil {
		t.Fatal(err)
	}
	if pe := p.(PoolElement); pe.UserTransport.Port != 2905 || pe.Policy.Type != PolicyLeastUsed {
		t.Fatalf("%+v", pe)
	}
}

func TestPoolElementErrors(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		reason   error
		param    ParamType
		offset   int
	}{
		{"short fixed part", "000a 000c 00001234 01020304", ErrLength, ParamPoolElement, 0},
		{"no policy", "000a 0020 00001234 01020304 00015f90 " + hexSCTPUser, ErrMissingParameter, ParamPoolElement, 0},
		{"no transport", "000a 001c 00001234 01020304 00015f90 " + hexPolicyLU, ErrMissingParameter, ParamPoolElement, 0},
		{"two policies", "000a 0038 00001234 01020304 00015f90 " + hexSCTPUser + hexPolicyLU + hexPolicyLU, ErrDuplicateParameter, ParamPoolMemberSelectionPolicy, 44},
		{"three transports", "000a 004c 00001234 01020304 00015f90 " + hexSCTPUser + hexPolicyLU + hexSCTPUser + hexSCTPUser, ErrDuplicateParameter, ParamSCTPTransport, 60},
		{"pool handle inside", "000a 0038 00001234 01020304 00015f90 " + hexSCTPUser + hexPolicyLU + hexPoolHandle, ErrUnexpectedParameter, ParamPoolHandle, 44},
		{"bad policy inside", "000a 0028 00001234 01020304 00015f90 " + hexSCTPUser + "0008 0008 40000001", ErrInvalidValue, ParamPoolMemberSelectionPolicy, 32},
	} {
		_, _, _, err := DecodeParameter(hx(tc.in))
		var de *DecodeError
		if !errors.As(err, &de) || !errors.Is(err, tc.reason) || de.Param != tc.param || de.Offset != tc.offset {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if _, err := (PoolElement{Policy: Policy{Type: PolicyRandom}}).AppendTo(nil); !errors.Is(err, ErrMissingParameter) {
		t.Errorf("PE without transport encoded: %v", err)
	}
}

func TestPoolElementString(t *testing.T) {
	want := "PE $00001234 home $01020304 life 90000ms SCTP port 2905 data plus control [10.0.0.1] Least Used(load=25.00%) asap SCTP port 3863 data plus control [10.0.0.1]"
	if s := goldenENRPPE().String(); s != want {
		t.Fatalf("%q", s)
	}
}
