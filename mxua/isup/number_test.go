package isup

import (
	"errors"
	"reflect"
	"testing"
)

// TestPartyNumbers: the octets of called and calling party numbers per
// Q.763 3.9 and 3.10, both ways.
func TestPartyNumbers(t *testing.T) {
	for _, c := range []struct {
		name string
		hex  string
		cd   *CalledPartyNumber
		cg   *CallingPartyNumber
	}{
		{"called odd", `84 10 21 43 05`, &CalledPartyNumber{NatureOfAddress: 4, NumberingPlan: 1, Digits: "12345"}, nil},
		{"called INN, ST", `03 90 21 f3`, &CalledPartyNumber{NatureOfAddress: 3, InternalNetworkNumber: true, NumberingPlan: 1, Digits: "123F"}, nil},
		{"called codes 11 and 12", `01 10 cb`, &CalledPartyNumber{NatureOfAddress: 1, NumberingPlan: 1, Digits: "BC"}, nil},
		{"called no digits", `03 10`, &CalledPartyNumber{NatureOfAddress: 3, NumberingPlan: 1, Digits: ""}, nil},
		{"calling restricted, network provided", `83 17 21 03`, nil, &CallingPartyNumber{NatureOfAddress: 3, NumberingPlan: 1, Presentation: 1, Screening: 3, Digits: "123"}},
		{"calling incomplete, user verified", `04 91 21`, nil, &CallingPartyNumber{NatureOfAddress: 4, NumberIncomplete: true, NumberingPlan: 1, Screening: 1, Digits: "12"}},
		{"calling address not available", `00 08`, nil, &CallingPartyNumber{Presentation: 2, Digits: ""}},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := hx(c.hex)
			var got, want any
			var enc []byte
			var err error
			if c.cd != nil {
				want = c.cd
				var d CalledPartyNumber
				if d, err = decodeCalledPartyNumber(v, 0); err == nil {
					got = &d
					enc, err = c.cd.AppendTo(nil)
				}
			} else {
				want = c.cg
				var d CallingPartyNumber
				if d, err = decodeCallingPartyNumber(v, 0); err == nil {
					got = &d
					enc, err = c.cg.AppendTo(nil)
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("decode %+v, want %+v", got, want)
			}
			if string(enc) != string(v) {
				t.Errorf("encode % x, want % x", enc, v)
			}
		})
	}
	if _, err := decodeCalledPartyNumber([]byte{0x84, 0x10}, 7); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("odd indicator without signals: %v", err)
	}
}
