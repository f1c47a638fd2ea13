package isup

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

type golden struct {
	name string
	hex  string
	msg  Message
}

// Hand-built from Q.763 clauses 1 and 3 and checked against Wireshark's
// ISUP dissector (tshark_conformance_test.go).
var goldens = []golden{
	{
		// CIC 1; NCI 00; FCI 60 01 (ISUP used, ISDN access); ordinary
		// subscriber; speech; CdPN international, even, E.164 4912345678;
		// optional: CgPN international, odd, network provided, 4930123,
		// and propagation delay counter (0x31) kept as bytes.
		name: "iam",
		hex: `01 00 01 00 60 01 0a 00 02 09
			07 04 10 94 21 43 65 87
			0a 06 84 13 94 03 21 03
			31 02 00 00
			00`,
		msg: &IAM{CIC: 1, ForwardCall: 0x0160, CallingPartysCategory: CategoryOrdinary,
			CalledPartyNumber:  CalledPartyNumber{NatureOfAddress: NAIInternational, NumberingPlan: NumberingPlanISDN, Digits: "4912345678"},
			CallingPartyNumber: &CallingPartyNumber{NatureOfAddress: NAIInternational, NumberingPlan: NumberingPlanISDN, Screening: 3, Digits: "4930123"},
			Optional:           []Parameter{{0x31, []byte{0, 0}}}},
	},
	{
		// CIC 4095, no optional part; called number national, odd, INN
		// set, "123456789" then ST (F): 10 signals, even.
		name: "iam-no-optional",
		hex: `ff 0f 01 01 01 00 0a 03 02 00
			07 03 90 21 43 65 87 f9`,
		msg: &IAM{CIC: 4095, NatureOfConnection: 1, ForwardCall: 0x0001, CallingPartysCategory: CategoryOrdinary, TransmissionMediumRequirement: TMR3k1Audio,
			CalledPartyNumber: CalledPartyNumber{NatureOfAddress: NAINationalSignificant, InternalNetworkNumber: true, NumberingPlan: NumberingPlanISDN, Digits: "123456789F"}},
	},
	{
		name: "acm",
		hex:  `23 01 06 16 14 00`,
		msg:  &ACM{CIC: 0x123, BackwardCall: 0x1416},
	},
	{
		name: "anm",
		hex:  `ff 0f 09 00`,
		msg:  &ANM{CIC: 4095},
	},
	{
		// Cause indicators: ITU, user, normal call clearing (16).
		name: "rel",
		hex:  `01 00 0c 02 00 02 80 90`,
		msg:  &REL{CIC: 1, Cause: CauseIndicators{Value: CauseNormalClearing, Diagnostics: []byte{}}},
	},
	{
		// Cause with octet 1a (recommendation 1) and a diagnostic octet;
		// public network serving the local user; user busy; plus an
		// optional parameter.
		name: "rel-recommendation",
		hex:  `02 00 0c 02 06 04 02 81 91 aa 99 01 7f 00`,
		msg: &REL{CIC: 2, Cause: CauseIndicators{Location: LocationPublicLocal, Recommendation: u8(1), Value: CauseUserBusy, Diagnostics: []byte{0xaa}},
			Optional: []Parameter{{0x99, []byte{0x7f}}}},
	},
	{
		name: "rlc",
		hex:  `01 00 10 00`,
		msg:  &RLC{CIC: 1},
	},
	{
		// A circuit group reset (0x17) is not modelled: kept as bytes.
		name: "raw-grs",
		hex:  `01 00 17 01 01 07`,
		msg:  &Raw{CIC: 1, Type: 0x17, Body: []byte{1, 1, 7}},
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
			if !bytes.Equal(enc, b) {
				t.Errorf("encode:\n got % x\nwant % x", enc, b)
			}
			cic, err := CIC(b)
			if err != nil || cic != g.msg.CircuitID() {
				t.Errorf("CIC = %d, %v; want %d", cic, err, g.msg.CircuitID())
			}
		})
	}
}

func TestCIC(t *testing.T) {
	for _, c := range []struct {
		hex  string
		want uint16
	}{
		{`01 00 10`, 1},
		{`fa 10 10`, 0x0fa}, // spare bits 8-5 of octet 2 ignored
		{`ff ff 10`, 0x0fff},
		{`34 02 01`, 0x234},
	} {
		if got, err := CIC(hx(c.hex)); err != nil || got != c.want {
			t.Errorf("CIC(%s) = %d, %v; want %d", c.hex, got, err, c.want)
		}
	}
	for _, b := range [][]byte{nil, {1}, {1, 0}} {
		if _, err := CIC(b); !errors.Is(err, ErrTruncated) {
			t.Errorf("CIC(% x): %v, want ErrTruncated", b, err)
		}
	}
}

func TestMalformed(t *testing.T) {
	for _, c := range []struct {
		name   string
		hex    string
		reason error
		offset int
	}{
		{"header only 2", `01 00`, ErrTruncated, 2},
		{"IAM short fixed", `01 00 01 00 60 01 0a`, ErrTruncated, 7},
		{"IAM no pointers", `01 00 01 00 60 01 0a 00`, ErrTruncated, 8},
		{"IAM zero CdPN pointer", `01 00 01 00 60 01 0a 00 00 00 02 04 10`, ErrPointer, 8},
		{"IAM CdPN pointer back", `01 00 01 00 60 01 0a 00 01 00 02 04 10`, ErrPointer, 8},
		{"IAM CdPN pointer past end", `01 00 01 00 60 01 0a 00 09 00 02 04 10`, ErrPointer, 8},
		{"IAM CdPN length past end", `01 00 01 00 60 01 0a 00 02 00 05 04 10`, ErrLength, 10},
		{"IAM CdPN 1 octet", `01 00 01 00 60 01 0a 00 02 00 01 04`, ErrLength, 10},
		{"IAM CdPN odd without signals", `01 00 01 00 60 01 0a 00 02 00 02 84 10`, ErrInvalidValue, 10},
		{"IAM optional pointer into CdPN", `01 00 01 00 60 01 0a 00 02 02 02 04 10`, ErrPointer, 9},
		{"IAM optional pointer past end", `01 00 01 00 60 01 0a 00 02 05 02 04 10`, ErrPointer, 9},
		{"IAM no end of optional", `01 00 01 00 60 01 0a 00 02 04 02 04 10 31 02 00 00`, ErrTruncated, 17},
		{"IAM optional length past end", `01 00 01 00 60 01 0a 00 02 04 02 04 10 31 05 00 00 00`, ErrLength, 13},
		{"IAM optional name only", `01 00 01 00 60 01 0a 00 02 04 02 04 10 31`, ErrLength, 13},
		{"IAM CgPN 1 octet", `01 00 01 00 60 01 0a 00 02 04 02 04 10 0a 01 04 00`, ErrLength, 14},
		{"ACM short", `01 00 06 16`, ErrTruncated, 4},
		{"ACM no optional pointer", `01 00 06 16 14`, ErrTruncated, 5},
		{"ANM no optional pointer", `01 00 09`, ErrTruncated, 3},
		{"REL no cause pointer", `01 00 0c`, ErrTruncated, 3},
		{"REL cause 1 octet", `01 00 0c 02 00 01 80`, ErrLength, 5},
		{"REL cause with 1a, 2 octets", `01 00 0c 02 00 02 00 80`, ErrLength, 5},
		{"RLC optional pointer past end", `01 00 10 01`, ErrPointer, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(hx(c.hex))
			var de *DecodeError
			if !errors.As(err, &de) || !errors.Is(err, c.reason) {
				t.Fatalf("got %v, want %v", err, c.reason)
			}
			if de.Offset != c.offset {
				t.Errorf("offset %d, want %d (%v)", de.Offset, c.offset, err)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	long := make([]byte, 256)
	cd := CalledPartyNumber{NatureOfAddress: NAIInternational, NumberingPlan: 1, Digits: "49"}
	for _, c := range []struct {
		name   string
		m      Message
		reason error
	}{
		{"CIC 4096", &RLC{CIC: 4096}, ErrInvalidValue},
		{"NAI 8 bits", &IAM{CalledPartyNumber: CalledPartyNumber{NatureOfAddress: 0x80}}, ErrInvalidValue},
		{"numbering plan 8", &IAM{CalledPartyNumber: CalledPartyNumber{NumberingPlan: 8}}, ErrInvalidValue},
		{"bad digit", &IAM{CalledPartyNumber: CalledPartyNumber{Digits: "12#"}}, ErrInvalidValue},
		{"too many digits", &IAM{CalledPartyNumber: CalledPartyNumber{Digits: string(bytes.Repeat([]byte("1"), 507))}}, ErrTooLong},
		{"CgPN screening 4", &IAM{CalledPartyNumber: cd, CallingPartyNumber: &CallingPartyNumber{Screening: 4}}, ErrInvalidValue},
		{"cause value 128", &REL{Cause: CauseIndicators{Value: 0x80}}, ErrInvalidValue},
		{"cause too long", &REL{Cause: CauseIndicators{Diagnostics: long}}, ErrTooLong},
		{"optional end code", &ANM{Optional: []Parameter{{Code: 0}}}, ErrInvalidValue},
		{"optional too long", &ANM{Optional: []Parameter{{0x31, long}}}, ErrTooLong},
		{"optional pointer over 255", &REL{Cause: CauseIndicators{Diagnostics: long[:252]}, Optional: []Parameter{{0x31, []byte{0}}}}, ErrTooLong},
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
