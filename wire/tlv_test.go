package wire

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
)

func TestReadTLV(t *testing.T) {
	d := decoder{b: hx("0009 0007 616263 00 000e 0008 00001234")}
	tl, err := d.readTLV(0, len(d.b), 0, false)
	if err != nil || tl != (tlv{typ: ParamPoolHandle, off: 0, val: 4, end: 7, next: 8}) {
		t.Fatal(tl, err)
	}
	tl, err = d.readTLV(8, len(d.b), 0, false)
	if err != nil || tl != (tlv{typ: ParamPEIdentifier, off: 8, val: 12, end: 16, next: 16}) {
		t.Fatal(tl, err)
	}
	// Unpadded at the end: only nested parameters may do that.
	d = decoder{b: hx("0009 0007 616263")}
	if _, err := d.readTLV(0, 7, 0, false); !errors.Is(err, ErrPadding) {
		t.Fatal(err)
	}
	if tl, err := d.readTLV(0, 7, 0, true); err != nil || tl.next != 7 {
		t.Fatal(tl, err)
	}
}

func TestCountHelpers(t *testing.T) {
	in := hx("06 00 0000" + hexPoolHandle + hexPolicyRR + hexPE + hexPE + "000b 0020 11111111 0004 0018 0b59 0000 0001 0008 0a000001 0001 0008 0a000002")
	d := decoder{b: in}
	if n := d.countTLVs(4, len(in), ParamPoolElement, ParamPoolElement); n != 2 {
		t.Fatal(n)
	}
	if n := d.countAddresses(4, len(in), 0); n != 4 {
		t.Fatal(n)
	}
	// A length running past the end stops the scan instead of overrunning.
	d = decoder{b: hx("0001 0008 0a000001 0001 00ff 0a000001")}
	if n := d.countAddresses(0, len(d.b), 0); n != 1 {
		t.Fatal(n)
	}
}

// Addresses of all transports share one array; appending to one
// transport's addresses must not overwrite the next one's.
func TestAddressesDoNotShareCapacity(t *testing.T) {
	pe2 := goldenPE()
	pe2.UserTransport.Addresses = addrs("10.0.0.2")
	b, err := Marshal(&HandleResolutionResponse{PoolHandle: PoolHandle("p"), PoolElements: []PoolElement{goldenPE(), pe2}})
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := DecodeASAP(b)
	if err != nil {
		t.Fatal(err)
	}
	pes := m.(*HandleResolutionResponse).PoolElements
	pes[0].UserTransport.Addresses = append(pes[0].UserTransport.Addresses, netip.MustParseAddr("10.9.9.9"))
	if got := pes[1].UserTransport.Addresses; len(got) != 1 || got[0] != netip.MustParseAddr("10.0.0.2") {
		t.Fatalf("second PE's addresses changed: %v", got)
	}
}

func TestEncoderPadsAndLimits(t *testing.T) {
	e := paramEncoder([]byte{0xff})
	s := e.begin(ParamCookie)
	e.b = append(e.b, 1, 2, 3, 4, 5)
	e.end(s, ParamCookie)
	if b, err := e.result(); err != nil || !bytes.Equal(b, hx("ff 000d 0009 0102030405 000000")) {
		t.Fatalf("%x %v", b, err)
	}
	e = paramEncoder([]byte{0xff})
	s = e.begin(ParamCookie)
	e.b = append(e.b, make([]byte, maxLength)...)
	e.end(s, ParamCookie)
	if b, err := e.result(); !errors.Is(err, ErrTooLong) || !bytes.Equal(b, []byte{0xff}) {
		t.Fatalf("%d bytes, %v", len(b), err)
	}
}
