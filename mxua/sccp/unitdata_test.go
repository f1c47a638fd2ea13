package sccp

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// tcapBeginSRISM is the TCAP Begin (otid 16 00 00 00, MAP sendRoutingInfoForSM
// invoke) of the public SRI-for-SM UDT test vector used in srismUDT below.
const tcapBeginSRISM = `62 27 48 04 16 00 00 00 6c 1f a1 1d 02 01 00 02 01 2d 30 15
	80 07 91 97 20 78 76 83 f6 81 01 01 82 07 91 97 20 73 00 05 f8`

type golden struct {
	name string
	hex  string
	msg  Message
	// exact: encoding msg gives hex back. Vectors with a non-zero BCD filler
	// nibble decode to msg but re-encode with a zero filler.
	exact bool
}

var goldens = []golden{
	{
		// go-sccp sccp_test.go "UDT": GT (GTI 4) + SSN, no PC. The called
		// address is BCD odd with filler nibble 6 in its last octet.
		name: "gosccp-udt",
		hex: `09 81 03 10 1a
			0d 12 06 00 11 04 21 43 65 87 09 21 43 65
			0a 12 07 00 12 04 89 67 45 23 01
			04 de ad be ef`,
		msg: &UDT{ProtocolClass: 1, ReturnOnError: true,
			CalledParty:  Address{SSN: ssn(6), GT: &GlobalTitle{Indicator: GTITTNPESNAI, NumberingPlan: 1, EncodingScheme: ESBCDOdd, NatureOfAddress: 4, Digits: "123456789012345"}},
			CallingParty: Address{SSN: ssn(7), GT: &GlobalTitle{Indicator: GTITTNPESNAI, NumberingPlan: 1, EncodingScheme: ESBCDEven, NatureOfAddress: 4, Digits: "9876543210"}},
			Data:         []byte{0xde, 0xad, 0xbe, 0xef}},
	},
	{
		// go-sccp sccp_test.go "UDT-2Bytes-PartyAddress": route on SSN, SSN only, empty data.
		name:  "gosccp-udt-ssn-only",
		hex:   `09 81 03 05 07 02 42 06 02 42 07 00`,
		msg:   &UDT{ProtocolClass: 1, ReturnOnError: true, CalledParty: Address{RoutingIndicator: RouteOnSSN, SSN: ssn(6)}, CallingParty: Address{RoutingIndicator: RouteOnSSN, SSN: ssn(7)}, Data: []byte{}},
		exact: true,
	},
	{
		// go-sccp sccp_test.go "XUDT/with optionals": segmentation and importance.
		name: "gosccp-xudt-optionals",
		hex: `11 81 02 04 11 1b 1f
			0d 12 06 00 11 04 21 43 65 87 09 21 43 65
			0a 12 07 00 12 04 89 67 45 23 01
			04 de ad be ef
			10 04 c2 ff ff ff 12 01 02 00`,
		msg: &XUDT{ProtocolClass: 1, ReturnOnError: true, HopCounter: 2,
			CalledParty:  Address{SSN: ssn(6), GT: &GlobalTitle{Indicator: GTITTNPESNAI, NumberingPlan: 1, EncodingScheme: ESBCDOdd, NatureOfAddress: 4, Digits: "123456789012345"}},
			CallingParty: Address{SSN: ssn(7), GT: &GlobalTitle{Indicator: GTITTNPESNAI, NumberingPlan: 1, EncodingScheme: ESBCDEven, NatureOfAddress: 4, Digits: "9876543210"}},
			Data:         []byte{0xde, 0xad, 0xbe, 0xef},
			Optional:     []Parameter{{ParamSegmentation, []byte{0xc2, 0xff, 0xff, 0xff}}, {ParamImportance, []byte{2}}}},
	},
	{
		// A public MAP sendRoutingInfoForSM test vector: UDT class 1, called
		// HLR (SSN 6) routed on SSN with GT 79028767386, calling MSC (SSN 8)
		// GT 79023700508, both GTI 4, E.164, international.
		name: "srism-udt",
		hex: `09 01 03 0e 19
			0b 52 06 00 11 04 97 20 78 76 83 06
			0b 12 08 00 11 04 97 20 73 00 05 08
			29 ` + tcapBeginSRISM,
		msg: &UDT{ProtocolClass: 1,
			CalledParty:  Address{RoutingIndicator: RouteOnSSN, SSN: ssn(6), GT: &GlobalTitle{Indicator: GTITTNPESNAI, NumberingPlan: 1, EncodingScheme: ESBCDOdd, NatureOfAddress: 4, Digits: "79028767386"}},
			CallingParty: Address{SSN: ssn(8), GT: &GlobalTitle{Indicator: GTITTNPESNAI, NumberingPlan: 1, EncodingScheme: ESBCDOdd, NatureOfAddress: 4, Digits: "79023700508"}},
			Data:         hx(tcapBeginSRISM)},
		exact: true,
	},
	{
		// Hand-built from Q.713 3.4: PC+SSN called (AI 0x43: route on SSN,
		// SSN and PC present; PC 1 little-endian = 01 00), PC-only calling
		// (AI 0x41, PC 0x3fff = ff 3f), the case go-sccp v0.0.5 gets wrong.
		name: "udt-pc-ssn-and-pc-only",
		hex: `09 00 03 07 0a
			04 43 01 00 08
			03 41 ff 3f
			02 01 02`,
		msg:   &UDT{CalledParty: Address{RoutingIndicator: RouteOnSSN, PointCode: pc(1), SSN: ssn(8)}, CallingParty: Address{RoutingIndicator: RouteOnSSN, PointCode: pc(0x3fff)}, Data: []byte{1, 2}},
		exact: true,
	},
	{
		// GTI 1 (NAI only, odd/even in bit 8: 0x84 = odd, international)
		// and GTI 2 (translation type only, raw nibbles), XUDT without
		// optional part (pointer 0), hop counter 15.
		name: "xudt-gti1-gti2",
		hex: `11 80 0f 04 0a 10 00
			06 06 06 84 21 43 f5
			06 09 12 00 00 34 12
			01 aa`,
		msg: &XUDT{ReturnOnError: true, HopCounter: 15,
			CalledParty:  Address{SSN: ssn(0x06), GT: &GlobalTitle{Indicator: GTINAI, NatureOfAddress: 4, Digits: "12345"}},
			CallingParty: Address{PointCode: pc(0x12), GT: &GlobalTitle{Indicator: GTITT, TranslationType: 0, Digits: "4321"}},
			Data:         []byte{0xaa}},
	},
	{
		// GTI 3 (TT, NP, ES) with PC, SSN and the national-use bit; TT 0,
		// ISDN/telephony, BCD even: 2 digits "09".
		name: "udt-gti3",
		hex: `09 01 03 0a 0c
			07 8f 34 12 92 00 12 90
			02 42 92
			00`,
		msg: &UDT{ProtocolClass: 1,
			CalledParty:  Address{NationalUse: true, PointCode: pc(0x1234), SSN: ssn(0x92), GT: &GlobalTitle{Indicator: GTITTNPES, NumberingPlan: 1, EncodingScheme: ESBCDEven, Digits: "09"}},
			CallingParty: Address{RoutingIndicator: RouteOnSSN, SSN: ssn(0x92)},
			Data:         []byte{}},
	},
}

func TestGoldens(t *testing.T) {
	for _, g := range goldens {
		t.Run(g.name, func(t *testing.T) {
			b := hx(g.hex)
			m, err := Decode(b)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(m, g.msg) {
				t.Errorf("decode:\n got %#v\nwant %#v", m, g.msg)
			}
			enc, err := Marshal(g.msg)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			if g.exact && !bytes.Equal(enc, b) {
				t.Errorf("encode:\n got % x\nwant % x", enc, b)
			}
			again, err := Decode(enc)
			if err != nil || !reflect.DeepEqual(again, g.msg) {
				t.Errorf("round trip: %v\n got %#v", err, again)
			}
			s, err := Peek(b)
			if err != nil {
				t.Fatalf("peek: %v", err)
			}
			called, data := calledAndData(g.msg)
			if s.Type != g.msg.MessageType() || !bytes.Equal(s.Data, data) || s.HasSSN != (called.SSN != nil) || (s.HasSSN && s.CalledSSN != *called.SSN) {
				t.Errorf("peek %+v disagrees with %v", s, called)
			}
		})
	}
}

func calledAndData(m Message) (Address, []byte) {
	switch m := m.(type) {
	case *UDT:
		return m.CalledParty, m.Data
	case *XUDT:
		return m.CalledParty, m.Data
	}
	return Address{}, nil
}

func TestMalformed(t *testing.T) {
	for _, c := range []struct {
		name   string
		hex    string
		reason error
		offset int
	}{
		{"empty", ``, ErrTruncated, 0},
		{"unsupported type", `01 00 00 00 00`, ErrUnsupportedMessage, 0},
		{"short fixed part", `09 00 03 05`, ErrTruncated, 4},
		{"class 2", `09 02 03 05 07 02 42 06 02 42 07 00`, ErrInvalidValue, 1},
		{"zero pointer", `09 00 00 05 07 02 42 06 02 42 07 00`, ErrPointer, 2},
		{"pointer past end", `09 00 30 05 07 02 42 06 02 42 07 00`, ErrPointer, 2},
		{"overlapping parameters", `09 00 03 02 05 02 42 06 02 42 07 00`, ErrPointer, 3},
		{"data before addresses", `09 00 06 08 01 02 42 06 02 42 07 00`, ErrPointer, 4},
		{"length past end", `09 00 03 05 07 02 42 06 02 42 07 05 01`, ErrLength, 11},
		{"empty address", `09 00 03 03 05 00 02 42 07 00`, ErrLength, 6},
		{"PC truncated", `09 00 03 05 07 02 41 06 02 42 07 00`, ErrTruncated, 7},
		{"SSN missing", `09 00 03 04 06 01 42 02 42 07 00`, ErrTruncated, 7},
		{"bytes after address", `09 00 03 06 08 03 42 06 07 02 42 07 00`, ErrLength, 8},
		{"GTI 5", `09 00 03 05 07 02 56 06 02 42 07 00`, ErrInvalidValue, 6},
		{"GT header truncated", `09 00 03 06 08 03 52 06 00 02 42 07 00`, ErrTruncated, 8},
		{"odd GT without digits", `09 00 03 06 08 03 06 06 84 02 42 07 00`, ErrLength, 9},
		{"hop counter 0", `11 00 00 04 06 08 00 02 42 06 02 42 07 00`, ErrInvalidValue, 2},
		{"hop counter 16", `11 00 10 04 06 08 00 02 42 06 02 42 07 00`, ErrInvalidValue, 2},
		{"optional pointer past end", `11 00 01 04 06 08 40 02 42 06 02 42 07 00`, ErrPointer, 6},
		{"no end of optional", `11 00 01 04 06 08 09 02 42 06 02 42 07 01 aa 12 01 02`, ErrTruncated, 18},
		{"optional length past end", `11 00 01 04 06 08 09 02 42 06 02 42 07 01 aa 12 05 02`, ErrLength, 15},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := hx(c.hex)
			_, err := Decode(b)
			var de *DecodeError
			if !errors.As(err, &de) || !errors.Is(err, c.reason) {
				t.Fatalf("got %v, want %v", err, c.reason)
			}
			if de.Offset != c.offset {
				t.Errorf("offset %d, want %d (%v)", de.Offset, c.offset, err)
			}
			if _, perr := Peek(b); perr == nil && !errors.Is(err, ErrLength) && !errors.Is(err, ErrInvalidValue) && !errors.Is(err, ErrTruncated) {
				t.Errorf("peek accepted what decode rejects for framing: %v", err)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	long := make([]byte, 256)
	ok := Address{RoutingIndicator: RouteOnSSN, SSN: ssn(6)}
	for _, c := range []struct {
		name   string
		m      Message
		reason error
	}{
		{"class 2", &UDT{ProtocolClass: 2, CalledParty: ok, CallingParty: ok}, ErrInvalidValue},
		{"PC over 14 bits", &UDT{CalledParty: Address{PointCode: pc(0x4000)}, CallingParty: ok}, ErrInvalidValue},
		{"GTI 0 with GT", &UDT{CalledParty: Address{GT: &GlobalTitle{}}, CallingParty: ok}, ErrInvalidValue},
		{"bad digit", &UDT{CalledParty: Address{GT: &GlobalTitle{Indicator: GTINAI, Digits: "12x"}}, CallingParty: ok}, ErrInvalidValue},
		{"odd digits, non-BCD", &UDT{CalledParty: Address{GT: &GlobalTitle{Indicator: GTITT, Digits: "123"}}, CallingParty: ok}, ErrInvalidValue},
		{"NAI over 7 bits", &UDT{CalledParty: Address{GT: &GlobalTitle{Indicator: GTINAI, NatureOfAddress: 0x80}}, CallingParty: ok}, ErrInvalidValue},
		{"routing indicator 2", &UDT{CalledParty: Address{RoutingIndicator: 2}, CallingParty: ok}, ErrInvalidValue},
		{"data 256", &UDT{CalledParty: ok, CallingParty: ok, Data: long}, ErrTooLong},
		{"hop counter 0", &XUDT{CalledParty: ok, CallingParty: ok}, ErrInvalidValue},
		{"address 256", &UDT{CalledParty: Address{GT: &GlobalTitle{Indicator: GTINAI, Digits: string(bytes.Repeat([]byte("1"), 510))}}, CallingParty: ok}, ErrTooLong},
		{"optional end code", &XUDT{HopCounter: 1, CalledParty: ok, CallingParty: ok, Optional: []Parameter{{Code: 0}}}, ErrInvalidValue},
		{"optional pointer over 255", &XUDT{HopCounter: 1, CalledParty: ok, CallingParty: ok, Data: long[:255], Optional: []Parameter{{ParamImportance, []byte{1}}}}, ErrTooLong},
	} {
		t.Run(c.name, func(t *testing.T) {
			prefix := []byte{0xee}
			b, err := c.m.AppendTo(prefix)
			var ee *EncodeError
			if !errors.As(err, &ee) || !errors.Is(err, c.reason) {
				t.Fatalf("got %v, want %v", err, c.reason)
			}
			if !bytes.Equal(b, prefix) {
				t.Errorf("failed encode left % x, want the prefix alone", b)
			}
		})
	}
}

func TestExtractSSN(t *testing.T) {
	if v, err := ExtractSSN(hx(goldens[3].hex)); err != nil || v != 6 {
		t.Errorf("ExtractSSN = %d, %v; want 6", v, err)
	}
	noSSN := hx(`09 00 03 06 08 03 41 01 00 02 42 07 00`)
	if _, err := ExtractSSN(noSSN); !errors.Is(err, ErrNoSSN) {
		t.Errorf("PC-only called address: %v, want ErrNoSSN", err)
	}
	if _, err := ExtractSSN([]byte{0x13}); !errors.Is(err, ErrUnsupportedMessage) {
		t.Errorf("LUDT: %v", err)
	}
}
