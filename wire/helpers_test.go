package wire

import (
	"bytes"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
)

// hx parses hex written with spaces and newlines for readability.
func hx(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}

type decodeFunc func([]byte) (Message, []ErrorCause, error)

func decoderFor(m Message) decodeFunc {
	if m.Type().Protocol() == ProtocolENRP {
		return DecodeENRP
	}
	return DecodeASAP
}

// checkMessageGolden checks that m encodes to exactly golden and that golden
// decodes to exactly m, also when appended after existing bytes.
func checkMessageGolden(t *testing.T, m Message, golden string) {
	t.Helper()
	want := hx(golden)
	got, err := Marshal(m)
	if err != nil {
		t.Fatalf("%v: encode: %v", m.Type(), err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%v: encode\n got %x\nwant %x", m.Type(), got, want)
	}
	prefix := []byte{0xee, 0xee, 0xee}
	got, err = m.AppendTo(prefix)
	if err != nil || !bytes.Equal(got[:3], prefix) || !bytes.Equal(got[3:], want) {
		t.Fatalf("%v: AppendTo after a prefix: %x, %v", m.Type(), got, err)
	}
	dec, reports, err := decoderFor(m)(want)
	if err != nil {
		t.Fatalf("%v: decode: %v", m.Type(), err)
	}
	if len(reports) != 0 {
		t.Fatalf("%v: unexpected reports %v", m.Type(), reports)
	}
	if !reflect.DeepEqual(dec, m) {
		t.Fatalf("%v: decode\n got %#v\nwant %#v", m.Type(), dec, m)
	}
}

// checkParamGolden checks that p encodes to exactly golden and that golden
// decodes to exactly p.
func checkParamGolden(t *testing.T, p Parameter, golden string) {
	t.Helper()
	want := hx(golden)
	got, err := p.AppendTo(nil)
	if err != nil {
		t.Fatalf("%v: encode: %v", p.ParamType(), err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%v: encode\n got %x\nwant %x", p.ParamType(), got, want)
	}
	dec, n, reports, err := DecodeParameter(want)
	if err != nil {
		t.Fatalf("%v: decode: %v", p.ParamType(), err)
	}
	if n != len(want) || len(reports) != 0 {
		t.Fatalf("%v: decode consumed %d of %d bytes, reports %v", p.ParamType(), n, len(want), reports)
	}
	if !reflect.DeepEqual(dec, p) {
		t.Fatalf("%v: decode\n got %#v\nwant %#v", p.ParamType(), dec, p)
	}
}

// Hex of parameters the message goldens are built from.
const (
	hexPoolHandle = "0009 000c 6777632d 706f6f6c"            // "gwc-pool"
	hexPEID       = "000e 0008 00001234"                     // PE 0x1234
	hexSCTPUser   = "0004 0010 0b59 0001 0001 0008 0a000001" // SCTP 2905 data+control 10.0.0.1
	hexSCTPASAP   = "0004 0010 0f17 0001 0001 0008 0a000001" // SCTP 3863 data+control 10.0.0.1
	hexPolicyLU   = "0008 000c 40000001 40000000"            // Least Used, load 0x40000000
	hexPolicyRR   = "0008 0008 00000001"                     // Round Robin
	hexPE         = "000a 002c 00001234 01020304 00015f90 " + hexSCTPUser + hexPolicyLU
	hexENRPPE     = "000a 003c 00001234 01020304 00015f90 " + hexSCTPUser + hexPolicyLU + hexSCTPASAP
	hexServerInfo = "000b 0018 11111111 0004 0010 26ad 0001 0001 0008 0a000001" // server $11111111, SCTP 9901
)

func goldenSCTPUser() Transport {
	return Transport{Kind: TransportSCTP, Port: 2905, Use: TransportUseDataPlusControl, Addresses: addrs("10.0.0.1")}
}

func goldenPE() PoolElement {
	return PoolElement{
		Identifier:       0x1234,
		HomeRegistrar:    0x01020304,
		RegistrationLife: 90000,
		UserTransport:    goldenSCTPUser(),
		Policy:           Policy{Type: PolicyLeastUsed, Load: 0x40000000},
	}
}

func goldenENRPPE() PoolElement {
	pe := goldenPE()
	pe.ASAPTransport = &Transport{Kind: TransportSCTP, Port: 3863, Use: TransportUseDataPlusControl, Addresses: addrs("10.0.0.1")}
	return pe
}

func goldenServerInfo() ServerInformation {
	return ServerInformation{ServerID: 0x11111111, Transport: Transport{Kind: TransportSCTP, Port: 9901, Use: TransportUseDataPlusControl, Addresses: addrs("10.0.0.1")}}
}

// messageGolden is a message and its hand-checked encoding.
type messageGolden struct {
	m   Message
	hex string
}

func checkMessageGoldens(t *testing.T, goldens []messageGolden) {
	t.Helper()
	for _, g := range goldens {
		checkMessageGolden(t, g.m, g.hex)
	}
}
