package wire

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func allGoldens() []messageGolden {
	var all []messageGolden
	for _, g := range [][]messageGolden{
		registrationGoldens, handleResolutionGoldens, keepAliveGoldens, serverAnnounceGoldens,
		cookieGoldens, businessCardGoldens, asapErrorGoldens,
		presenceGoldens, handleTableGoldens, handleUpdateGoldens, listGoldens, takeoverGoldens, enrpErrorGoldens,
	} {
		all = append(all, g...)
	}
	return all
}

// seedMessages returns every golden and sample message of one protocol.
func seedMessages(p Protocol) [][]byte {
	var seeds [][]byte
	for _, g := range allGoldens() {
		if g.m.Type().Protocol() == p {
			seeds = append(seeds, hx(g.hex))
		}
	}
	samples := sampleASAPMessages()
	if p == ProtocolENRP {
		samples = sampleENRPMessages()
	}
	for _, m := range samples {
		b, err := Marshal(m)
		if err != nil {
			panic(err)
		}
		seeds = append(seeds, b)
	}
	return seeds
}

// seedParameters splits every seed message into its parameters, nested
// ones included.
func seedParameters() [][]byte {
	var seeds [][]byte
	var walk func(b []byte, depth int)
	walk = func(b []byte, depth int) {
		for off := 0; off < len(b); {
			p, n, _, err := DecodeParameter(b[off:])
			if err != nil {
				return
			}
			seeds = append(seeds, b[off:off+n])
			if depth < 3 {
				switch p.ParamType() {
				case ParamPoolElement:
					walk(b[off+16:off+n], depth+1)
				case ParamServerInformation:
					walk(b[off+8:off+n], depth+1)
				case ParamSCTPTransport, ParamTCPTransport, ParamUDPTransport, ParamUDPLiteTransport:
					walk(b[off+8:off+n], depth+1)
				case ParamDCCPTransport:
					walk(b[off+12:off+n], depth+1)
				}
			}
			off += n
		}
	}
	for _, p := range []Protocol{ProtocolASAP, ProtocolENRP} {
		for _, m := range seedMessages(p) {
			for _, skip := range []int{4, 8, 12, 16} {
				if skip <= len(m) {
					walk(m[skip:], 0)
				}
			}
		}
	}
	return seeds
}

// checkDecodeError checks the invariants every decode failure keeps.
func checkDecodeError(t *testing.T, in []byte, err error) {
	t.Helper()
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("%T is not a *DecodeError: %v", err, err)
	}
	if de.Offset < 0 || de.Offset > len(in) || de.Reason == nil || !errors.Is(err, de.Reason) {
		t.Fatalf("bad error %+v for %d bytes", de, len(in))
	}
	if de.Error() == "" {
		t.Fatal("empty error string")
	}
}

// checkMessageRoundTrip: whatever decodes re-encodes, and the re-encoding
// decodes to an equal value and re-encodes to the same bytes.
func checkMessageRoundTrip(t *testing.T, in []byte, decode decodeFunc) {
	m, reports, err := decode(in)
	if err != nil {
		checkDecodeError(t, in, err)
		if m != nil || reports != nil {
			t.Fatal("failure returned a message or reports")
		}
		return
	}
	for _, r := range reports {
		if r.Code != CauseUnrecognizedParameter || len(r.Info) < 4 {
			t.Fatalf("bad report %v", r)
		}
	}
	b, err := Marshal(m)
	if err != nil {
		if errors.Is(err, ErrTooLong) {
			return // e.g. RSPLIB's short policies grow by 4 bytes each
		}
		t.Fatalf("decoded %#v does not encode: %v", m, err)
	}
	m2, reports2, err := decode(b)
	if err != nil {
		t.Fatalf("re-encoding %x does not decode: %v", b, err)
	}
	if len(reports2) != 0 {
		t.Fatalf("re-encoding carries unknown parameters: %v", reports2)
	}
	if !reflect.DeepEqual(m, m2) {
		t.Fatalf("round trip changed the message\nfirst  %#v\nsecond %#v", m, m2)
	}
	b2, err := Marshal(m2)
	if err != nil || !bytes.Equal(b, b2) {
		t.Fatalf("encoding is not stable: %x vs %x (%v)", b, b2, err)
	}
}

func FuzzDecodeASAP(f *testing.F) {
	for _, s := range seedMessages(ProtocolASAP) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) { checkMessageRoundTrip(t, in, DecodeASAP) })
}

func FuzzDecodeENRP(f *testing.F) {
	for _, s := range seedMessages(ProtocolENRP) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) { checkMessageRoundTrip(t, in, DecodeENRP) })
}

func FuzzDecodeParameter(f *testing.F) {
	for _, s := range seedParameters() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		p, n, _, err := DecodeParameter(in)
		if err != nil {
			checkDecodeError(t, in, err)
			return
		}
		if n < 4 || n > len(in) {
			t.Fatalf("consumed %d of %d bytes", n, len(in))
		}
		b, err := p.AppendTo(nil)
		if err != nil {
			if errors.Is(err, ErrTooLong) {
				return
			}
			t.Fatalf("decoded %#v does not encode: %v", p, err)
		}
		p2, n2, reports, err := DecodeParameter(b)
		if err != nil || n2 != len(b) || len(reports) != 0 {
			t.Fatalf("re-encoding %x: %d bytes, %v, %v", b, n2, reports, err)
		}
		if !reflect.DeepEqual(p, p2) {
			t.Fatalf("round trip changed the parameter\nfirst  %#v\nsecond %#v", p, p2)
		}
	})
}

func TestSeedsCoverAllParameterKinds(t *testing.T) {
	seen := map[ParamType]bool{}
	for _, s := range seedParameters() {
		seen[ParamType(s[0])<<8|ParamType(s[1])] = true
	}
	for typ := ParamIPv4Address; typ <= ParamPEChecksum; typ++ {
		if !seen[typ] {
			t.Errorf("no parameter seed of type %v", typ)
		}
	}
	if !seen[ParamHandleResolutionOption] {
		t.Error("no handle resolution option seed")
	}
}
