package mxua

import (
	"errors"
	"reflect"
	"testing"
)

// TestDecodeMalformed: every way a message can be wrong draws a typed error
// with the offset, tag and ERR code of RFC 4666 / RFC 3868 section 3.8.1.
func TestDecodeMalformed(t *testing.T) {
	for _, c := range []struct {
		name   string
		p      Protocol
		hex    string
		reason error
		code   ErrorCode
		off    int
		tag    Tag
	}{
		{"empty", M3UA, "", ErrTruncated, ErrProtocolError, 0, 0},
		{"version-0", M3UA, "00000304 00000008", ErrVersion, ErrInvalidVersion, 0, 0},
		{"version-2-short", SUA, "02", ErrVersion, ErrInvalidVersion, 0, 0},
		{"short-header", M3UA, "01000304 0000", ErrTruncated, ErrProtocolError, 0, 0},
		{"length-below-header", M3UA, "01000304 00000004", ErrLength, ErrProtocolError, 4, 0},
		{"length-beyond-buffer", M3UA, "01000304 0000000c", ErrLength, ErrProtocolError, 4, 0},
		{"trailing-bytes", M3UA, "01000304 00000008 00000000", ErrLength, ErrProtocolError, 4, 0},
		{"huge-length", SUA, "01000304 ffffffff", ErrLength, ErrProtocolError, 4, 0},
		{"m3ua-unknown-class", M3UA, "01000501 00000008", ErrUnknownClass, ErrUnsupportedMessageClass, 2, 0},
		{"m3ua-has-no-CL", M3UA, "01000701 00000008", ErrUnknownClass, ErrUnsupportedMessageClass, 2, 0},
		{"sua-has-no-transfer", SUA, "01000101 00000008", ErrUnknownClass, ErrUnsupportedMessageClass, 2, 0},
		{"unknown-type", M3UA, "01000307 00000008", ErrUnknownType, ErrUnsupportedMessageType, 3, 0},
		{"unknown-type-high", SUA, "010008ff 00000008", ErrUnknownType, ErrUnsupportedMessageType, 3, 0},
		{"m3ua-mgmt-type-2", M3UA, "01000002 00000008", ErrUnknownType, ErrUnsupportedMessageType, 3, 0},
		{"param-header-truncated", M3UA, "01000304 0000000a 0011", ErrTruncated, ErrParameterFieldError, 8, 0},
		{"param-length-below-4", M3UA, "01000301 00000010 00110002 00000001", ErrLength, ErrParameterFieldError, 8, TagASPIdentifier},
		{"param-length-overruns", M3UA, "01000301 00000010 0011000c 00000001", ErrLength, ErrParameterFieldError, 8, TagASPIdentifier},
		{"param-partial-padding", M3UA, "01000302 0000000e 00040005 78 00", ErrPadding, ErrParameterFieldError, 8, TagInfoString},
		{"fixed-param-wrong-size", M3UA, "01000301 00000014 0011000c 00000001 00000002", ErrLength, ErrParameterFieldError, 8, TagASPIdentifier},
		{"empty-routing-context", M3UA, "01000402 0000000c 00060004", ErrLength, ErrParameterFieldError, 8, TagRoutingContext},
		{"ragged-routing-context", M3UA, "01000402 00000010 00060006 00010000", ErrLength, ErrParameterFieldError, 8, TagRoutingContext},
		{"protocol-data-short", M3UA, "01000101 00000014 0210000c 00000001 00000002", ErrLength, ErrParameterFieldError, 8, TagM3UAProtocolData},
		{"unknown-tag", M3UA, "01000304 00000010 7fff0008 00000000", ErrUnknownParameter, ErrUnexpectedParameter, 8, 0x7fff},
		{"known-tag-wrong-message", M3UA, "01000301 00000010 00090008 00000000", ErrParameterNotAllowed, ErrUnexpectedParameter, 8, TagHeartbeatData},
		{"nested-tag-at-top", M3UA, "01000301 00000010 020a0008 00000000", ErrParameterNotAllowed, ErrUnexpectedParameter, 8, TagM3UALocalRKIdentifier},
		{"sua-tag-in-m3ua", M3UA, "01000101 00000010 010b0008 00000000", ErrUnknownParameter, ErrUnexpectedParameter, 8, TagSUAData},
		{"m3ua-tag-in-sua", SUA, "01000301 00000010 02000008 00000000", ErrUnknownParameter, ErrUnexpectedParameter, 8, TagM3UANetworkAppearance},
		{"duplicate", M3UA, "01000301 00000018 00110008 00000001 00110008 00000002", ErrDuplicateParameter, ErrUnexpectedParameter, 16, TagASPIdentifier},
		{"missing-protocol-data", M3UA, "01000101 00000010 00060008 00000001", ErrParameterMissing, ErrMissingParameter, 16, TagM3UAProtocolData},
		{"missing-error-code", SUA, "01000000 00000008", ErrParameterMissing, ErrMissingParameter, 8, TagErrorCode},
		{"missing-apc", M3UA, "01000201 00000008", ErrParameterMissing, ErrMissingParameter, 8, TagAffectedPointCode},
		{"traffic-mode-zero", M3UA, "01000401 00000010 000b0008 00000000", ErrInvalidValue, ErrInvalidParameterValue, 12, TagTrafficModeType},
		{"sua-congestion-too-big", SUA, "01000204 00000018 00120008 00000064 01180008 00000100", ErrInvalidValue, ErrInvalidParameterValue, 20, TagSUACongestionLevel},
		{"rk-missing-dpc", M3UA, "01000901 00000014 0207000c 020a0008 00000001", ErrParameterMissing, ErrMissingParameter, 8, TagM3UADestinationPointCode},
		{"rk-missing-lrk", SUA, "01000901 0000000c 010e0004", ErrParameterMissing, ErrMissingParameter, 8, TagSUALocalRKIdentifier},
		{"rk-duplicate-dpc", M3UA, "01000901 00000024 0207001c 020a0008 00000001 020b0008 00000001 020b0008 00000002", ErrDuplicateParameter, ErrUnexpectedParameter, 28, TagM3UADestinationPointCode},
		{"rk-nested-overrun", M3UA, "01000901 00000014 0207000c 020a0010 00000001", ErrLength, ErrParameterFieldError, 12, TagM3UALocalRKIdentifier},
		{"reg-result-missing-status", M3UA, "01000902 0000001c 02080014 020a0008 00000001 00060008 00000001", ErrParameterMissing, ErrMissingParameter, 8, TagM3UARegistrationStatus},
		{"reg-result-stray", SUA, "01000902 00000024 0014001c 00180008 00000001 00160008 00000000 00110008 00000001", ErrParameterNotAllowed, ErrUnexpectedParameter, 28, TagASPIdentifier},
		{"circuit-range-ragged", M3UA, "01000901 0000002c 02070024 020a0008 00000001 020b0008 00000001 020f0010 00000001 00010002 00000001", ErrLength, ErrParameterFieldError, 28, TagM3UACircuitRange},
		{"cldt-missing-data", SUA, "01000701 00000048 01150008 00000000 01020018 00020003 80020008 00000001 80030008 00000008 01030018 00020003 80020008 00000002 80030008 00000008 01160008 00000000", ErrParameterMissing, ErrMissingParameter, 72, TagSUAData},
		{"address-ri-0", SUA, "01000803 00000020 01050008 00000001 01060008 00000201 01030008 00000000", ErrInvalidValue, ErrInvalidParameterValue, 28, TagSUADestinationAddress},
		{"address-ri-5", SUA, "01000803 00000020 01050008 00000001 01060008 00000201 01030008 00050000", ErrInvalidValue, ErrInvalidParameterValue, 28, TagSUADestinationAddress},
		{"address-no-indicators", SUA, "01000803 0000001c 01050008 00000001 01060008 00000201 01030004", ErrLength, ErrParameterFieldError, 24, TagSUADestinationAddress},
		{"address-unknown-part", SUA, "01000803 00000028 01050008 00000001 01060008 00000201 01030010 00020000 80070008 00000000", ErrUnknownParameter, ErrUnexpectedParameter, 32, 0x8007},
		{"address-two-ips", SUA, "01000803 00000030 01050008 00000001 01060008 00000201 01030018 00040000 80040008 0a000001 80060008 0a000002", ErrDuplicateParameter, ErrUnexpectedParameter, 40, TagSUAIPv6Address},
		{"address-ipv4-size", SUA, "01000803 00000028 01050008 00000001 01060008 00000201 01030010 00040000 80040006 0a000000", ErrLength, ErrParameterFieldError, 32, TagSUAIPv4Address},
		{"gt-gti-0", SUA, "01000803 00000030 01050008 00000001 01060008 00000201 01030018 00010004 8001000d 00000000 02000104 21000000", ErrInvalidValue, ErrInvalidParameterValue, 39, TagSUAGlobalTitle},
		{"gt-digit-count-mismatch", SUA, "01000803 00000030 01050008 00000001 01060008 00000201 01030018 00010004 80010010 00000004 05000104 21430000", ErrLength, ErrParameterFieldError, 40, TagSUAGlobalTitle},
		{"gt-short", SUA, "01000803 00000028 01050008 00000001 01060008 00000201 01030010 00010004 80010008 00000004", ErrLength, ErrParameterFieldError, 32, TagSUAGlobalTitle},
		{"sua-data-in-aspup", SUA, "01000301 0000000c 010b0004", ErrParameterNotAllowed, ErrUnexpectedParameter, 8, TagSUAData},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := cdcHex(c.hex)
			m, err := Decode(c.p, b)
			if err == nil {
				t.Fatalf("decoded %s", dumpMessage(m))
			}
			de := wantDecodeError(t, err, c.reason, c.code, c.off)
			if de.Tag != c.tag {
				t.Errorf("tag 0x%04x, want 0x%04x (%v)", uint16(de.Tag), uint16(c.tag), err)
			}
			if de.Protocol != c.p {
				t.Errorf("protocol %v", de.Protocol)
			}
			// The ERR to send back echoes the first 40 bytes.
			em := de.ErrorMessage(b)
			if em.Kind != KindERR || em.ErrorCode != c.code || len(em.DiagnosticInfo) != min(len(b), 40) {
				t.Errorf("ErrorMessage %s", dumpMessage(em))
			}
			if _, err := Encode(em); err != nil {
				t.Errorf("encode ErrorMessage: %v", err)
			}
		})
	}
}

// Lenient on what costs nothing: an unpadded last parameter and reserved
// bits that are not zero.
func TestDecodeLenient(t *testing.T) {
	m, err := Decode(M3UA, cdcHex("01000302 0000000d 00040005 78"))
	if err != nil || m.InfoString != "x" {
		t.Fatalf("unpadded last parameter: %v %v", m, err)
	}
	m, err = Decode(M3UA, cdcHex("01000204 00000018 00120008 00000064 02050008 ffffff02"))
	if err != nil || *m.CongestionLevel != 2 {
		t.Fatalf("reserved bits: %v", err)
	}
	m, err = Decode(SUA, cdcHex("01000805 00000020 01050008 00000001 01040008 00000002 01130008 ffffff05"))
	if err != nil || *m.SUA.Importance != 5 {
		t.Fatalf("reserved bits: %v", err)
	}
	// A NUL-terminated hostname loses its NUL.
	m, err = Decode(SUA, cdcHex("01000803 00000028 01050008 00000001 01060008 00000201 01030010 00030000 80050008 61620000"))
	if err != nil || m.SUA.Destination.Hostname != "ab" {
		t.Fatalf("hostname: %v %v", m, err)
	}
}

func TestEncodeErrors(t *testing.T) {
	pc := uint32(0x1000000)
	for _, c := range []struct {
		name   string
		m      *Message
		reason error
	}{
		{"nil", nil, ErrInvalidValue},
		{"no-protocol", &Message{Kind: KindASPUP}, ErrUnknownClass},
		{"m3ua-cldt", &Message{Protocol: M3UA, Kind: KindCLDT}, ErrUnknownClass},
		{"unknown-type", &Message{Protocol: SUA, Kind: NewKind(ClassASPSM, 9)}, ErrUnknownType},
		{"data-without-protocol-data", &Message{Protocol: M3UA, Kind: KindDATA}, ErrParameterMissing},
		{"cldt-without-sua", &Message{Protocol: SUA, Kind: KindCLDT}, ErrParameterMissing},
		{"cldt-without-data", &Message{Protocol: SUA, Kind: KindCLDT, SUA: &SUAData{Source: cdcAddrPC(1, 1), Destination: cdcAddrPC(2, 2)}}, ErrParameterMissing},
		{"heartbeat-in-aspup", &Message{Protocol: M3UA, Kind: KindASPUP, HeartbeatData: []byte{1}}, ErrParameterNotAllowed},
		{"sua-field-in-m3ua", &Message{Protocol: M3UA, Kind: KindDUNA, AffectedPointCodes: []AffectedPointCode{{}}, AffectedSSN: cdcU8(1)}, ErrParameterNotAllowed},
		{"apc-too-wide", &Message{Protocol: M3UA, Kind: KindDUNA, AffectedPointCodes: []AffectedPointCode{{PointCode: pc}}}, ErrInvalidValue},
		{"payload-too-long", &Message{Protocol: M3UA, Kind: KindDATA, ProtocolData: &ProtocolData{Payload: make([]byte, 0x10000)}}, ErrTooLong},
		{"rk-without-dpc", &Message{Protocol: M3UA, Kind: KindREGREQ, RoutingKeys: []RoutingKeyParam{{LocalRKIdentifier: 1}}}, ErrParameterMissing},
		{"m3ua-rk-with-ssn", &Message{Protocol: M3UA, Kind: KindREGREQ, RoutingKeys: []RoutingKeyParam{{DPC: cdcU32(1), SSN: cdcU8(1)}}}, ErrParameterNotAllowed},
		{"sua-rk-with-si", &Message{Protocol: SUA, Kind: KindREGREQ, RoutingKeys: []RoutingKeyParam{{ServiceIndicators: []uint8{3}}}}, ErrParameterNotAllowed},
		{"bad-ri", &Message{Protocol: SUA, Kind: KindCOREF, SUA: &SUAData{DestReference: cdcU32(1), SCCPCause: cdcU32(1), Destination: &SCCPAddress{}}}, ErrInvalidValue},
		{"bad-gti", &Message{Protocol: SUA, Kind: KindCOREF, SUA: &SUAData{DestReference: cdcU32(1), SCCPCause: cdcU32(1),
			Destination: &SCCPAddress{RoutingIndicator: RouteOnGT, GlobalTitle: &GlobalTitle{GTI: 5}}}}, ErrInvalidValue},
		{"bad-digit", &Message{Protocol: SUA, Kind: KindCOREF, SUA: &SUAData{DestReference: cdcU32(1), SCCPCause: cdcU32(1),
			Destination: &SCCPAddress{RoutingIndicator: RouteOnGT, GlobalTitle: &GlobalTitle{GTI: 4, Digits: "12#"}}}}, ErrInvalidValue},
	} {
		t.Run(c.name, func(t *testing.T) {
			buf := []byte{9}
			out, err := AppendMessage(buf, c.m)
			var ee *EncodeError
			if !errors.As(err, &ee) || !errors.Is(err, c.reason) {
				t.Fatalf("got %v, want %v", err, c.reason)
			}
			if len(out) != 1 {
				t.Errorf("AppendMessage left %d bytes on error", len(out))
			}
			_ = ee.Error()
		})
	}
}

// The SUA routing key's DPC/SSN shorthand becomes one Destination Address.
func TestSUARoutingKeyShorthand(t *testing.T) {
	m := &Message{Protocol: SUA, Kind: KindREGREQ, RoutingKeys: []RoutingKeyParam{{LocalRKIdentifier: 1, TrafficMode: TrafficModeLoadshare,
		DPC: cdcU32(0x64), SSN: cdcU8(8)}}}
	b, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	if want := cdcHex(suaRKMGoldens[0].hex); string(b) != string(want) {
		t.Fatalf("got % x\nwant % x", b, want)
	}
}

func TestKinds(t *testing.T) {
	if n := len(Kinds(M3UA)); n != 2+1+6+6+4+4 {
		t.Errorf("M3UA has %d kinds", n)
	}
	if n := len(Kinds(SUA)); n != 2+6+6+4+2+11+4 {
		t.Errorf("SUA has %d kinds", n)
	}
	for _, p := range []Protocol{M3UA, SUA} {
		seen := map[Kind]bool{}
		for _, g := range allCodecGoldens(p) {
			seen[g.m.Kind] = true
		}
		for _, k := range Kinds(p) {
			if !seen[k] {
				t.Errorf("%v %v has no golden", p, k)
			}
		}
	}
}

// decodeOwned reads what Decode reads; its byte fields point into the
// buffer handed over, and Decode's never do.
func TestDecodeOwnedAliases(t *testing.T) {
	for _, m := range []*Message{
		dataMsg(100, 200, 3, 7),
		{Protocol: M3UA, Kind: KindBEAT, HeartbeatData: []byte("beat")},
		{Protocol: SUA, Kind: KindCLDT, RoutingContexts: []uint32{1}, SUA: &SUAData{
			Source:      &SCCPAddress{RoutingIndicator: 2, AddressIndicator: 3, PointCode: ptr(uint32(1)), SSN: ptr(uint8(8))},
			Destination: &SCCPAddress{RoutingIndicator: 2, AddressIndicator: 3, PointCode: ptr(uint32(2)), SSN: ptr(uint8(6))},
			Data:        []byte{0x62, 0x03, 0x48, 0x01, 0x01}}},
	} {
		b, err := Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		copied, err := Decode(m.Protocol, b)
		if err != nil {
			t.Fatal(err)
		}
		owned, err := decodeOwned(m.Protocol, b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(copied, owned) {
			t.Errorf("%v: decodeOwned %+v, Decode %+v", m.Kind, owned, copied)
		}
		field := func(m *Message) []byte {
			switch {
			case m.ProtocolData != nil:
				return m.ProtocolData.Payload
			case m.SUA != nil:
				return m.SUA.Data
			}
			return m.HeartbeatData
		}
		inside := func(f []byte) bool {
			for i := range b {
				if len(f) > 0 && &f[0] == &b[i] {
					return true
				}
			}
			return false
		}
		if !inside(field(owned)) || inside(field(copied)) {
			t.Errorf("%v: owned aliases %v, copied aliases %v; want true, false", m.Kind, inside(field(owned)), inside(field(copied)))
		}
	}
}
