package sccp

import (
	"errors"
	"reflect"
	"testing"
)

// TestAddressForms: each address form Q.713 3.4 allows, as the octets
// after the length indicator, both ways.
func TestAddressForms(t *testing.T) {
	for _, c := range []struct {
		name string
		hex  string
		a    Address
	}{
		{"SSN only", `42 08`, Address{RoutingIndicator: RouteOnSSN, SSN: ssn(8)}},
		{"PC only", `41 01 00`, Address{RoutingIndicator: RouteOnSSN, PointCode: pc(1)}},
		{"PC 0x3fff little-endian", `43 ff 3f 06`, Address{RoutingIndicator: RouteOnSSN, PointCode: pc(0x3fff), SSN: ssn(6)}},
		{"PC 0x1234", `01 34 12`, Address{PointCode: pc(0x1234)}},
		{"GTI 1 odd", `04 83 21 03`, Address{GT: &GlobalTitle{Indicator: GTINAI, NatureOfAddress: 3, Digits: "123"}}},
		{"GTI 1 even", `04 03 21 43`, Address{GT: &GlobalTitle{Indicator: GTINAI, NatureOfAddress: 3, Digits: "1234"}}},
		{"GTI 2", `08 07 21 43`, Address{GT: &GlobalTitle{Indicator: GTITT, TranslationType: 7, Digits: "1234"}}},
		{"GTI 3 national scheme", `0c 00 13 ab`, Address{GT: &GlobalTitle{Indicator: GTITTNPES, NumberingPlan: 1, EncodingScheme: ESNational, Digits: "BA"}}},
		{"GTI 4 odd", `12 06 00 11 04 21 03`, Address{SSN: ssn(6), GT: &GlobalTitle{Indicator: GTITTNPESNAI, NumberingPlan: 1, EncodingScheme: ESBCDOdd, NatureOfAddress: 4, Digits: "123"}}},
		{"GTI 4 no digits", `10 00 12 04`, Address{GT: &GlobalTitle{Indicator: GTITTNPESNAI, NumberingPlan: 1, EncodingScheme: ESBCDEven, NatureOfAddress: 4, Digits: ""}}},
		{"national use bit", `c2 08`, Address{NationalUse: true, RoutingIndicator: RouteOnSSN, SSN: ssn(8)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := hx(c.hex)
			got, err := decodeAddress(v, 0, "called party address")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.a) {
				t.Errorf("decode %v, want %v", got, c.a)
			}
			b, err := appendAddress(nil, &c.a, "called party address")
			if err != nil {
				t.Fatal(err)
			}
			if want := append([]byte{byte(len(v))}, v...); string(b) != string(want) {
				t.Errorf("encode % x, want % x", b, want)
			}
		})
	}
}

// TestEncodingSchemeFromDigits: the BCD odd/even scheme follows the digits.
func TestEncodingSchemeFromDigits(t *testing.T) {
	a := Address{GT: &GlobalTitle{Indicator: GTITTNPES, NumberingPlan: 1, EncodingScheme: ESBCDEven, Digits: "123"}}
	b, err := appendAddress(nil, &a, "x")
	if err != nil || b[3] != 0x11 {
		t.Errorf("% x, %v: want encoding scheme BCD odd (0x11)", b, err)
	}
	if _, err := decodeAddress([]byte{0x40 | 5<<2}, 0, "x"); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("GTI 5: %v", err)
	}
}
