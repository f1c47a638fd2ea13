package wire

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func TestSamplesRoundTrip(t *testing.T) {
	asap, enrp := sampleASAPMessages(), sampleENRPMessages()
	seen := map[MessageType]bool{}
	for _, m := range append(asap, enrp...) {
		seen[m.Type()] = true
		b, err := Marshal(m)
		if err != nil {
			t.Fatalf("%v: %v", m.Type(), err)
		}
		if len(b)%4 != 0 || int(b[2])<<8|int(b[3]) != len(b) || b[0] != m.Type().Code() {
			t.Fatalf("%v: header %x for %d bytes", m.Type(), b[:4], len(b))
		}
		got, reports, err := decoderFor(m)(b)
		if err != nil || len(reports) != 0 {
			t.Fatalf("%v: %v %v", m.Type(), err, reports)
		}
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("%v: round trip\n got %#v\nwant %#v", m.Type(), got, m)
		}
		// Wrong protocol: the same bytes are another message or fail, never panic.
		other := DecodeENRP
		if m.Type().Protocol() == ProtocolENRP {
			other = DecodeASAP
		}
		other(b)
	}
	if len(seen) != 24 {
		t.Fatalf("samples cover %d message types, want 24", len(seen))
	}
	for _, m := range asap {
		if m.Type().Protocol() != ProtocolASAP {
			t.Fatalf("%v among ASAP samples", m.Type())
		}
	}
	for _, m := range enrp {
		if m.Type().Protocol() != ProtocolENRP {
			t.Fatalf("%v among ENRP samples", m.Type())
		}
	}
}

// Every parameter kind appears somewhere in the samples.
func TestSamplesCoverParameters(t *testing.T) {
	seen := map[ParamType]bool{}
	var walk func(b []byte)
	walk = func(b []byte) {
		for len(b) >= 4 {
			typ := ParamType(b[0])<<8 | ParamType(b[1])
			l := int(b[2])<<8 | int(b[3])
			if l < 4 || l > len(b) {
				return
			}
			seen[typ] = true
			switch {
			case isTransport(typ):
				fixed := 8
				if typ == ParamDCCPTransport {
					fixed = 12
				}
				walk(b[fixed:l])
			case typ == ParamPoolElement:
				walk(b[16:l])
			case typ == ParamServerInformation:
				walk(b[8:l])
			}
			b = b[min(pad4(l), len(b)):]
		}
	}
	for _, m := range append(sampleASAPMessages(), sampleENRPMessages()...) {
		b, _ := Marshal(m)
		skip := 4
		switch m.Type() {
		case ASAPEndpointKeepAlive, ASAPServerAnnounce:
			skip = 8
		case ENRPHandleUpdate, ENRPInitTakeover, ENRPInitTakeoverAck, ENRPTakeoverServer:
			skip = 16
		default:
			if m.Type().Protocol() == ProtocolENRP {
				skip = 12
			}
		}
		walk(b[skip:])
	}
	for typ := ParamIPv4Address; typ <= ParamPEChecksum; typ++ {
		if !seen[typ] {
			t.Errorf("no sample carries %v", typ)
		}
	}
	if !seen[ParamHandleResolutionOption] {
		t.Error("no sample carries the handle resolution option")
	}
	pols := map[PolicyType]bool{}
	for _, p := range samplePolicies() {
		pols[p.Type] = true
	}
	if len(pols) != 16 {
		t.Errorf("samples cover %d policies, want 16", len(pols))
	}
}

func TestMessageTypeNames(t *testing.T) {
	for typ, want := range map[MessageType]string{
		ASAPRegistration:         "ASAP Registration",
		ASAPEndpointKeepAliveAck: "ASAP Endpoint Keep-Alive Ack",
		ASAPError:                "ASAP Error",
		ENRPPresence:             "ENRP Presence",
		ENRPError:                "ENRP Error",
		0x013f:                   "ASAP message type 0x3f",
		0x0200:                   "ENRP message type 0x00",
		0x0301:                   "protocol 3 message type 0x01",
	} {
		if got := typ.String(); got != want {
			t.Errorf("%#x: %q, want %q", uint16(typ), got, want)
		}
	}
	if ProtocolASAP.PPID() != 11 || ProtocolENRP.PPID() != 12 || Protocol(9).PPID() != 0 {
		t.Error("PPIDs")
	}
	if ENRPHandleUpdate.Code() != 4 || ENRPHandleUpdate.Protocol() != ProtocolENRP {
		t.Error("code/protocol")
	}
	for _, g := range allGoldens() {
		m, _, _ := decoderFor(g.m)(hx(g.hex))
		if m == nil || m.Type() != g.m.Type() {
			t.Errorf("%v decodes as %v", g.m.Type(), m)
		}
	}
}

func TestEncodeErrorLeavesBufferAlone(t *testing.T) {
	prefix := []byte{1, 2, 3}
	m := &Registration{PoolHandle: PoolHandle("p"), PoolElement: PoolElement{Policy: Policy{Type: PolicyRandom}}}
	b, err := m.AppendTo(prefix)
	var ee *EncodeError
	if !errors.As(err, &ee) || !errors.Is(err, ErrMissingParameter) || ee.Message != ASAPRegistration || ee.Param != ParamPoolElement {
		t.Fatal(err)
	}
	if !bytes.Equal(b, prefix) {
		t.Fatalf("%x", b)
	}
	if err.Error() != "wire: encode ASAP Registration, parameter Pool Element (0x000a): missing mandatory parameter: pool element has no user transport" {
		t.Fatal(err)
	}
}

func TestEncodeTooLong(t *testing.T) {
	_, err := Marshal(&CookieMessage{Cookie: make(Cookie, 0xfff8)})
	if !errors.Is(err, ErrTooLong) {
		t.Fatal(err)
	}
	_, err = Marshal(&CookieMessage{Cookie: make(Cookie, 0x10000)})
	if !errors.Is(err, ErrTooLong) {
		t.Fatal(err)
	}
	// The largest cookie that fits.
	b, err := Marshal(&CookieMessage{Cookie: make(Cookie, 0xffff-8-3)})
	if err != nil || len(b) != 0xfffc {
		t.Fatal(len(b), err)
	}
	if _, _, err := DecodeASAP(b); err != nil {
		t.Fatal(err)
	}
}

func TestDecodeDoesNotAlias(t *testing.T) {
	in := hx("0b 00 0010 000d 0009 6162636465 000000")
	m, _, err := DecodeASAP(in)
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		in[i] = 0
	}
	if string(m.(*CookieMessage).Cookie) != "abcde" {
		t.Fatal("cookie aliases the input")
	}
}
