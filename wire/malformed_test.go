package wire

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// Each case gives a message, the reason it must fail with, and where: the
// offset of the field or parameter header at fault and the parameter type.
func TestMalformedMessages(t *testing.T) {
	ph := hexPoolHandle // 12 bytes
	for _, tc := range []struct {
		name    string
		enrp    bool
		in      string
		reason  error
		offset  int
		param   ParamType
		reports int
	}{
		// Message header.
		{name: "empty", in: "", reason: ErrTruncated},
		{name: "truncated header", in: "01 00 00", reason: ErrTruncated},
		{name: "length below header", in: "05 00 0003 0000", reason: ErrLength, offset: 2},
		{name: "length beyond buffer", in: "05 00 0014" + ph, reason: ErrLength, offset: 2},
		{name: "bytes after message", in: "05 00 0010" + ph + "00000000", reason: ErrLength, offset: 16},
		{name: "unknown ASAP type", in: "3f 00 0008 01020304", reason: ErrUnrecognizedMessage, reports: 1},
		{name: "unknown ENRP type", enrp: true, in: "0b 00 000c 11111111 22222222", reason: ErrUnrecognizedMessage, reports: 1},

		// Parameter headers at message level.
		{name: "truncated parameter header", in: "05 00 0012" + ph + "0009", reason: ErrTruncated, offset: 16},
		{name: "parameter length below header", in: "05 00 0010 0009 0002 0000 0000 0000 0000", reason: ErrLength, offset: 4, param: ParamPoolHandle},
		{name: "parameter length beyond message", in: "05 00 0010 0009 0010 6777632d 706f6f6c", reason: ErrLength, offset: 4, param: ParamPoolHandle},
		{name: "last parameter unpadded", in: "05 00 000b 0009 0007 616263", reason: ErrPadding, offset: 4, param: ParamPoolHandle},
		{name: "padding cut short", in: "05 00 000a 0009 0005 6100", reason: ErrPadding, offset: 4, param: ParamPoolHandle},

		// Which parameters a message holds.
		{name: "missing mandatory", in: "02 00 0010" + ph, reason: ErrMissingParameter, offset: 16, param: ParamPEIdentifier},
		{name: "missing everything", in: "01 00 0004", reason: ErrMissingParameter, offset: 4, param: ParamPoolHandle},
		{name: "duplicate pool handle", in: "05 00 001c" + ph + ph, reason: ErrDuplicateParameter, offset: 16, param: ParamPoolHandle},
		{name: "cookie in deregistration", in: "02 00 0020" + ph + hexPEID + "000d 0008 01020304", reason: ErrUnexpectedParameter, offset: 24, param: ParamCookie},
		{name: "address at message level", in: "05 00 0018" + ph + "0001 0008 0a000001", reason: ErrUnexpectedParameter, offset: 16, param: ParamIPv4Address},

		// Unknown parameters, by action bits (00 and 01 stop; 10, 11 in TestUnknownParameterActions).
		{name: "unknown param, stop", in: "05 00 0018" + ph + "0040 0008 00000000", reason: ErrUnrecognizedParameter, offset: 16, param: 0x0040},
		{name: "unknown param, stop and report", in: "05 00 0018" + ph + "4040 0008 00000000", reason: ErrUnrecognizedParameter, offset: 16, param: 0x4040, reports: 1},
		{name: "skip+report then stop+report", in: "05 00 0020" + ph + "c041 0008 00000001 4040 0008 00000000", reason: ErrUnrecognizedParameter, offset: 24, param: 0x4040, reports: 2},
		{name: "unknown stop inside transport inside PE", in: "01 00 0044" + ph + "000a 0034 00001234 01020304 00015f90 0004 0018 0b59 0001 0001 0008 0a000001 0077 0008 00000000" + hexPolicyLU,
			reason: ErrUnrecognizedParameter, offset: 48, param: 0x0077},

		// Bad values nested in a pool element (PE at 16, its user transport at 32).
		{name: "bad address length in transport", in: "01 00 003c" + ph + "000a 002c 00001234 01020304 00015f90 0004 0010 0b59 0001 0001 0006 0a00 0000" + hexPolicyLU,
			reason: ErrLength, offset: 40, param: ParamIPv4Address},
		{name: "short address ending a transport unpadded", in: "01 00 003c" + ph + "000a 002c 00001234 01020304 00015f90 0004 000e 0b59 0001 0001 0006 0a00 0000" + hexPolicyLU,
			reason: ErrLength, offset: 40, param: ParamIPv4Address},
		{name: "IPv4 address of 8 bytes in transport", in: "01 00 0040" + ph + "000a 0030 00001234 01020304 00015f90 0004 0014 0b59 0001 0001 000c 0a000001 0a000002" + hexPolicyLU,
			reason: ErrLength, offset: 40, param: ParamIPv4Address},
		{name: "IPv6 address of 4 bytes in transport", in: "01 00 003c" + ph + "000a 002c 00001234 01020304 00015f90 0004 0010 0b59 0001 0002 0008 0a000001" + hexPolicyLU,
			reason: ErrLength, offset: 40, param: ParamIPv6Address},
		{name: "transport without address", in: "01 00 0034" + ph + "000a 0024 00001234 01020304 00015f90 0004 0008 0b59 0001" + hexPolicyLU,
			reason: ErrMissingParameter, offset: 32, param: ParamSCTPTransport},
		{name: "transport use 2", in: "01 00 003c" + ph + "000a 002c 00001234 01020304 00015f90 0004 0010 0b59 0002 0001 0008 0a000001" + hexPolicyLU,
			reason: ErrInvalidValue, offset: 38, param: ParamSCTPTransport},
		{name: "TCP with two addresses", in: "01 00 0044" + ph + "000a 0034 00001234 01020304 00015f90 0005 0018 0b59 0000 0001 0008 0a000001 0001 0008 0a000002" + hexPolicyLU,
			reason: ErrInvalidValue, offset: 32, param: ParamTCPTransport},
		{name: "truncated transport", in: "01 00 0034" + ph + "000a 0024 00001234 01020304 00015f90 0003 0008 0b59 0000" + hexPolicyLU,
			reason: ErrLength, offset: 32, param: ParamDCCPTransport},
		{name: "policy with wrong field count", in: "01 00 0040" + ph + "000a 0030 00001234 01020304 00015f90 " + hexSCTPUser + "0008 0010 40000001 40000000 00000001",
			reason: ErrInvalidValue, offset: 48, param: ParamPoolMemberSelectionPolicy},
		{name: "PE without policy", in: "01 00 0030" + ph + "000a 0020 00001234 01020304 00015f90 " + hexSCTPUser,
			reason: ErrMissingParameter, offset: 16, param: ParamPoolElement},
		{name: "PE too short", in: "01 00 001c" + ph + "000a 000c 00001234 01020304",
			reason: ErrLength, offset: 16, param: ParamPoolElement},
		{name: "PE length beyond message", in: "01 00 001c" + ph + "000a 0020 00001234 01020304",
			reason: ErrLength, offset: 16, param: ParamPoolElement},

		// Fixed fields and scalar parameters.
		{name: "keep-alive without server ID", in: "07 00 0006 aabb", reason: ErrTruncated, offset: 4},
		{name: "PE identifier of 2 bytes", in: "09 00 0018" + ph + "000e 0006 1234 0000", reason: ErrLength, offset: 16, param: ParamPEIdentifier},
		{name: "operation error cause too short", in: "0e 00 000c 000c 0008 0001 0003", reason: ErrLength, offset: 8, param: ParamOperationError},
		{name: "operation error cause too long", in: "0e 00 000c 000c 0008 0001 0010", reason: ErrLength, offset: 8, param: ParamOperationError},

		// ENRP.
		{name: "ENRP without server IDs", enrp: true, in: "05 00 0008 11111111", reason: ErrTruncated, offset: 4},
		{name: "takeover without target", enrp: true, in: "07 00 000c 11111111 22222222", reason: ErrTruncated, offset: 4},
		{name: "handle update bad action", enrp: true, in: "04 00 0058 11111111 22222222 0002 0000" + ph + hexENRPPE, reason: ErrInvalidValue, offset: 12},
		{name: "handle update truncated action", enrp: true, in: "04 00 000e 11111111 22222222 0001", reason: ErrTruncated, offset: 12},
		{name: "PE before pool handle", enrp: true, in: "03 00 0048 11111111 22222222" + hexENRPPE, reason: ErrUnexpectedParameter, offset: 12, param: ParamPoolElement},
		{name: "presence without checksum", enrp: true, in: "01 00 000c 11111111 22222222", reason: ErrMissingParameter, offset: 12, param: ParamPEChecksum},
		{name: "PE checksum of 4 bytes", enrp: true, in: "01 00 0014 11111111 22222222 000f 0008 434b 0000", reason: ErrLength, offset: 12, param: ParamPEChecksum},
		{name: "server information without transport", enrp: true, in: "06 00 0014 11111111 22222222 000b 0008 33333333", reason: ErrMissingParameter, offset: 12, param: ParamServerInformation},
		{name: "parameter in list request", enrp: true, in: "05 00 0014 11111111 22222222" + hexPEID, reason: ErrUnexpectedParameter, offset: 12, param: ParamPEIdentifier},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := hx(tc.in)
			decode := DecodeASAP
			if tc.enrp {
				decode = DecodeENRP
			}
			m, reports, err := decode(in)
			if err == nil {
				t.Fatalf("decoded %#v", m)
			}
			if m != nil || reports != nil {
				t.Fatalf("failure returned a message or reports: %v %v", m, reports)
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("not a *DecodeError: %v", err)
			}
			if !errors.Is(err, tc.reason) || de.Offset != tc.offset || de.Param != tc.param || len(de.Reports) != tc.reports {
				t.Fatalf("got %v (offset %d, param %#x, %d reports), want %v at %d, param %#x, %d reports",
					err, de.Offset, uint16(de.Param), len(de.Reports), tc.reason, tc.offset, uint16(tc.param), tc.reports)
			}
			if tc.reason != ErrTruncated || len(in) >= 1 {
				if len(in) >= 1 && de.Message.Code() != in[0] {
					t.Fatalf("message type %v", de.Message)
				}
			}
		})
	}
}

func TestUnknownParameterActions(t *testing.T) {
	ph := hexPoolHandle
	// Skip: ignored silently.
	m, reports, err := DecodeASAP(hx("05 00 0018" + ph + "8040 0008 00000000"))
	if err != nil || len(reports) != 0 || !reflect.DeepEqual(m, &HandleResolution{PoolHandle: PoolHandle("gwc-pool")}) {
		t.Fatal(m, reports, err)
	}
	// Skip and report: the message decodes; the report carries the parameter.
	m, reports, err = DecodeASAP(hx("05 00 0018" + ph + "c040 0007 aabbcc 00"))
	if err != nil || !reflect.DeepEqual(m, &HandleResolution{PoolHandle: PoolHandle("gwc-pool")}) {
		t.Fatal(m, err)
	}
	want := []ErrorCause{{Code: CauseUnrecognizedParameter, Info: hx("c040 0007 aabbcc")}}
	if !reflect.DeepEqual(reports, want) {
		t.Fatalf("reports %v", reports)
	}
	// The report is ready to send back in an ASAP Error.
	b, err := Marshal(&ASAPErrorMessage{Error: OperationError{Causes: reports}})
	if err != nil || !bytes.Equal(b, hx("0e 00 0014 000c 0010 0001 000b c0400007 aabbcc 00")) {
		t.Fatalf("%x %v", b, err)
	}
	// Nested in a pool element, inside a Handle Resolution Response.
	m, reports, err = DecodeASAP(hx("06 00 004c" + ph + "000a 003c 00001234 01020304 00015f90 c0aa 0008 01020304 " + hexSCTPUser + "80bb 0006 0102 0000" + hexPolicyLU))
	if err != nil || len(reports) != 1 || !bytes.Equal(reports[0].Info, hx("c0aa 0008 01020304")) {
		t.Fatal(m, reports, err)
	}
	if pe := m.(*HandleResolutionResponse).PoolElements[0]; !reflect.DeepEqual(pe, goldenPE()) {
		t.Fatalf("%v", pe)
	}
}

func TestStopAndReportCarriesParameter(t *testing.T) {
	_, _, err := DecodeASAP(hx("05 00 0018" + hexPoolHandle + "4040 0007 aabbcc 00"))
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatal(err)
	}
	oe := de.OperationError()
	if oe == nil || len(oe.Causes) != 1 || oe.Causes[0].Code != CauseUnrecognizedParameter || !bytes.Equal(oe.Causes[0].Info, hx("4040 0007 aabbcc")) {
		t.Fatalf("%+v", oe)
	}
	_, _, err = DecodeASAP(hx("05 00 0018" + hexPoolHandle + "0040 0007 aabbcc 00"))
	if !errors.As(err, &de) || de.OperationError() != nil {
		t.Fatalf("plain stop must not report: %v", err)
	}
}

func TestUnrecognizedMessageReport(t *testing.T) {
	in := hx("3f 05 0008 01020304")
	_, _, err := DecodeASAP(in)
	var de *DecodeError
	if !errors.As(err, &de) || !errors.Is(err, ErrUnrecognizedMessage) || de.Message != 0x013f {
		t.Fatal(err)
	}
	if len(de.Reports) != 1 || de.Reports[0].Code != CauseUnrecognizedMessage || !bytes.Equal(de.Reports[0].Info, in) {
		t.Fatalf("%v", de.Reports)
	}
	in[4] = 0xff
	if de.Reports[0].Info[4] != 0x01 {
		t.Fatal("report aliases the input")
	}
	// The answer encodes.
	if _, err := Marshal(&ASAPErrorMessage{Error: *de.OperationError()}); err != nil {
		t.Fatal(err)
	}
	// Even for the largest message, the report fits in an Error.
	big := make([]byte, 0xffff)
	big[0], big[2], big[3] = 0x3f, 0xff, 0xff
	_, _, err = DecodeENRP(big)
	if !errors.As(err, &de) {
		t.Fatal(err)
	}
	if _, err := Marshal(&ENRPErrorMessage{Error: *de.OperationError()}); err != nil {
		t.Fatal(err)
	}
}
