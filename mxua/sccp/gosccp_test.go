package sccp

import (
	"errors"
	"io"
	"testing"

	gosccp "github.com/wmnsk/go-sccp"
)

// These tests pin what github.com/wmnsk/go-sccp v0.0.5 does with the bytes
// this package produces. sigpool does not call go-sccp at run time: its
// address handling has the two bugs below, so the codec is our own. When a
// go-sccp upgrade makes a "bug" test fail, the bug is fixed upstream and
// wrapping the library can be reconsidered.

// TestGoSCCPPointCodeBigEndian: Q.713 3.4.2.1 puts the least significant
// octet of the 14-bit SPC first; go-sccp reads the two octets big-endian,
// so point code 1 (01 00) comes back as 256.
func TestGoSCCPPointCodeBigEndian(t *testing.T) {
	b, err := Marshal(&UDT{
		CalledParty:  Address{RoutingIndicator: RouteOnSSN, PointCode: pc(1), SSN: ssn(8)},
		CallingParty: Address{RoutingIndicator: RouteOnSSN, PointCode: pc(2), SSN: ssn(8)},
		Data:         []byte{0x01},
	})
	if err != nil {
		t.Fatal(err)
	}
	u, err := gosccp.ParseUDT(b)
	if err != nil {
		t.Fatalf("go-sccp: %v", err)
	}
	if got := u.CalledPartyAddress.SignalingPointCode; got != 256 {
		t.Errorf("go-sccp reads point code 1 as %d, pinned 256 (big-endian bug): fixed upstream?", got)
	}
	if got := u.CallingPartyAddress.SignalingPointCode; got != 512 {
		t.Errorf("go-sccp reads point code 2 as %d, pinned 512", got)
	}
	m, err := Decode(b)
	if err != nil || *m.(*UDT).CalledParty.PointCode != 1 {
		t.Errorf("own decoder: %v", err)
	}
}

// TestGoSCCPPCOnlyAddress: an address of PC alone (length 3) is legal
// (Q.713 3.4.1) but go-sccp v0.0.5 checks the point code's end with >=
// instead of >, so it fails with io.ErrUnexpectedEOF.
func TestGoSCCPPCOnlyAddress(t *testing.T) {
	b := hx(goldens[4].hex) // called PC+SSN, calling PC only
	if _, err := gosccp.ParseUDT(b); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("go-sccp on a PC-only address: %v, pinned io.ErrUnexpectedEOF: fixed upstream?", err)
	}
	if _, err := Decode(b); err != nil {
		t.Errorf("own decoder: %v", err)
	}
}

// TestGoSCCPAgrees: where go-sccp is right (no point code in the address),
// it reads our goldens the same way.
func TestGoSCCPAgrees(t *testing.T) {
	for _, g := range goldens {
		b := hx(g.hex)
		if g.name == "udt-pc-ssn-and-pc-only" || g.name == "udt-gti3" || g.name == "xudt-gti1-gti2" {
			continue // carry point codes; see the bug tests above
		}
		t.Run(g.name, func(t *testing.T) {
			theirs, err := gosccp.ParseMessage(b)
			if err != nil {
				t.Fatalf("go-sccp: %v", err)
			}
			var cdSSN, cgSSN uint8
			var cdGT string
			var data []byte
			switch m := theirs.(type) {
			case *gosccp.UDT:
				cdSSN, cgSSN, cdGT, data = m.CalledPartyAddress.SubsystemNumber, m.CallingPartyAddress.SubsystemNumber, m.CdGT(), m.Data.Value()
			case *gosccp.XUDT:
				cdSSN, cgSSN, cdGT, data = m.CalledPartyAddress.SubsystemNumber, m.CallingPartyAddress.SubsystemNumber, m.CdGT(), m.Data.Value()
			}
			var want [2]Address
			var wantData []byte
			switch m := g.msg.(type) {
			case *UDT:
				want, wantData = [2]Address{m.CalledParty, m.CallingParty}, m.Data
			case *XUDT:
				want, wantData = [2]Address{m.CalledParty, m.CallingParty}, m.Data
			}
			if cdSSN != *want[0].SSN || cgSSN != *want[1].SSN {
				t.Errorf("go-sccp SSNs %d/%d, want %d/%d", cdSSN, cgSSN, *want[0].SSN, *want[1].SSN)
			}
			if want[0].GT != nil && cdGT != want[0].GT.Digits {
				t.Errorf("go-sccp called GT %q, want %q", cdGT, want[0].GT.Digits)
			}
			if string(data) != string(wantData) {
				t.Errorf("go-sccp data % x, want % x", data, wantData)
			}
		})
	}
}
