package enrp

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/sigpool/sigpool/internal/transporttest"
	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

// sctpPE is a PE whose user transport is SCTP, as a PE listening on
// sctp:// registers it.
func sctpPE(id uint32, port uint16) wire.PoolElement {
	p := pe(id, port, rr)
	p.UserTransport = wire.Transport{Kind: wire.TransportSCTP, Port: port, Use: wire.TransportUseDataPlusControl,
		Addresses: []netip.Addr{netip.MustParseAddr("127.0.0.1")}}
	return p
}

func peerConfig(scheme string, ppid uint32) transport.Config {
	cfg := transport.Config{PPID: ppid, Logger: nil}
	if scheme == "tcp" {
		cfg.Framing = transport.FramingRSerPool // bare ASAP or ENRP
	}
	return cfg
}

// TestRegistrationAndResolutionOverTransports: PEs register over ASAP
// (PPID 11 over SCTP), a PU resolves, `pool ls` reads the handlespace with
// an ENRP Handle Table Request (PPID 12) on the ENRP address, and a
// deregistration takes a PE out.
func TestRegistrationAndResolutionOverTransports(t *testing.T) {
	transporttest.ForEach(t, func(t *testing.T, scheme string) {
		r := startRegistrarOn(t, scheme, Config{ServerID: 0x5c7}, transport.Profile{})
		asapAddr, enrpAddr := r.Addrs(wire.ProtocolASAP)[0], r.Addrs(wire.ProtocolENRP)[0]
		if want := scheme + "://"; asapAddr[:len(want)] != want || enrpAddr[:len(want)] != want {
			t.Fatalf("registrar addresses %s, %s: want %s", asapAddr, enrpAddr, want)
		}
		link := dialAssoc(t, asapAddr, peerConfig(scheme, wire.PPIDASAP))
		for id := uint32(1); id <= 3; id++ {
			link.send(wire.PPIDASAP, reg("sctp-pool", sctpPE(id, uint16(7200+id))))
			ppid, m, err := link.recv(2 * time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if rr, ok := m.(*wire.RegistrationResponse); !ok || rr.Reject || ppid != wire.PPIDASAP {
				t.Fatalf("registration of PE %d: %v on PPID %d", id, m, ppid)
			}
		}
		hr, err := Resolve(t.Context(), asapAddr, pfl(), wire.PoolHandle("sctp-pool"), wire.AllItems)
		if err != nil {
			t.Fatal(err)
		}
		var got []wire.PEIdentifier
		for _, p := range hr.PoolElements {
			got = append(got, p.Identifier)
			if p.UserTransport.Kind != wire.TransportSCTP || p.UserTransport.Use != wire.TransportUseDataPlusControl {
				t.Errorf("PE %v user transport %v: want SCTP, data plus control", p.Identifier, p.UserTransport)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, []wire.PEIdentifier{1, 2, 3}) {
			t.Fatalf("resolved %v, want 1-3", got)
		}

		id, entries, err := FetchHandleTable(t.Context(), enrpAddr, pfl())
		if err != nil || id != 0x5c7 {
			t.Fatalf("handle table: server %#x, %v", id, err)
		}
		if len(entries) != 1 || string(entries[0].PoolHandle) != "sctp-pool" || len(entries[0].PoolElements) != 3 {
			t.Fatalf("handle table %v", entries)
		}
		wantKind := wire.TransportTCP
		if scheme == "sctp" {
			wantKind = wire.TransportSCTP
		}
		for _, p := range entries[0].PoolElements {
			if p.ASAPTransport == nil || p.ASAPTransport.Kind != wantKind || len(p.ASAPTransport.Addresses) == 0 {
				t.Errorf("PE %v ASAP transport %v: want %v", p.Identifier, p.ASAPTransport, wantKind)
			}
		}

		link.send(wire.PPIDASAP, &wire.Deregistration{PoolHandle: wire.PoolHandle("sctp-pool"), PEIdentifier: 2})
		if _, m, err := link.recv(2 * time.Second); err != nil {
			t.Fatal(err)
		} else if dr, ok := m.(*wire.DeregistrationResponse); !ok || dr.Error != nil {
			t.Fatalf("deregistration: %v", m)
		}
		hr, err = Resolve(t.Context(), asapAddr, pfl(), wire.PoolHandle("sctp-pool"), wire.AllItems)
		if err != nil || len(hr.PoolElements) != 2 {
			t.Fatalf("after deregistration: %v, %v", hr, err)
		}
	})
}

// TestASAPAndENRPOnOneSCTPAssociation: over SCTP the PPID of each message
// says ASAP (11) or ENRP (12), also when both arrive on one association to
// the ASAP port; each answer goes back on its protocol's PPID.
func TestASAPAndENRPOnOneSCTPAssociation(t *testing.T) {
	transporttest.SCTPOnly(t)
	r := startRegistrarOn(t, "sctp", Config{ServerID: 0x1112}, transport.Profile{})
	asapAddr := r.Addrs(wire.ProtocolASAP)[0]
	c := dialAssoc(t, asapAddr, peerConfig("sctp", wire.PPIDASAP))
	c.send(wire.PPIDASAP, reg("both", sctpPE(7, 7307)))
	if ppid, m, err := c.recv(2 * time.Second); err != nil || ppid != wire.PPIDASAP {
		t.Fatalf("registration: %v on PPID %d, %v", m, ppid, err)
	}
	for range 3 {
		c.send(wire.PPIDENRP, &wire.HandleTableRequest{})
		c.send(wire.PPIDASAP, &wire.HandleResolution{PoolHandle: wire.PoolHandle("both")})
		for _, want := range []uint32{wire.PPIDENRP, wire.PPIDASAP} {
			ppid, m, err := c.recv(2 * time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if ppid != want {
				t.Fatalf("got %v on PPID %d, want PPID %d", m, ppid, want)
			}
			switch m := m.(type) {
			case *wire.HandleTableResponse:
				if m.SenderServerID != 0x1112 || len(m.Entries) != 1 {
					t.Fatalf("handle table %+v", m)
				}
			case *wire.HandleResolutionResponse:
				if len(m.PoolElements) != 1 || m.PoolElements[0].Identifier != 7 {
					t.Fatalf("resolution %v", m)
				}
			default:
				t.Fatalf("unexpected %v", m)
			}
		}
	}
	// `pool ls` against the ASAP address: ENRP by PPID.
	if id, entries, err := FetchHandleTable(t.Context(), asapAddr, pfl()); err != nil || id != 0x1112 || len(entries) != 1 {
		t.Fatalf("pool ls on the ASAP port: %#x %v %v", id, entries, err)
	}
	// The PE registered over this association is still there.
	if !resolvable(t.Context(), t, asapAddr, "both", 7) {
		t.Fatal("PE 7 gone")
	}
}

// TestHostileOverSCTP: hostile input where SCTP differs from TCP (no
// framing: a message's length field can disagree with the SCTP message,
// PPIDs can be wrong or unknown, messages can exceed 64 KiB). After each
// case the registrar answers on the same association (unless it ended it)
// and on a new one.
func TestHostileOverSCTP(t *testing.T) {
	transporttest.SCTPOnly(t)
	r := startRegistrarOn(t, "sctp", Config{MaxPEsPerAssociation: 50}, transport.Profile{})
	addr := r.Addrs(wire.ProtocolASAP)[0]
	pe0 := dialAssoc(t, addr, peerConfig("sctp", wire.PPIDASAP))
	pe0.send(wire.PPIDASAP, reg("alive", sctpPE(1, 7001)))
	if _, m, err := pe0.recv(2 * time.Second); err != nil {
		t.Fatal(err)
	} else if rr, ok := m.(*wire.RegistrationResponse); !ok || rr.Reject {
		t.Fatalf("setup registration: %v", m)
	}
	ph := mustParam(t, wire.PoolHandle("p"))
	hres, _ := wire.Marshal(&wire.HandleResolution{PoolHandle: wire.PoolHandle("alive")})
	presence, _ := wire.Marshal(&wire.Presence{SenderServerID: 1, PEChecksum: 0xffff})
	big := bytes.Repeat([]byte{0x80, 0x44, 0x00, 0x10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 100<<10/16)

	type sent struct {
		ppid uint32
		b    []byte
	}
	cases := []struct {
		name string
		msgs []sent
		// want: the cause of an ASAP (ppid 11) or ENRP (12) Operation
		// Error before the probe's answer; 0: no reply; closed: the
		// registrar ends the association.
		ppid     uint32
		cause    wire.CauseCode
		anyCause bool // any ENRP error on ppid
		closed   bool
		// wantENRP: ENRP messages (PPID 12) that must be among the replies.
		wantENRP []wire.MessageType
	}{
		{name: "length field beyond the SCTP message", msgs: []sent{{11, func() []byte {
			b := asapMsg(0x05, 0, ph)
			binary.BigEndian.PutUint16(b[2:], 100)
			return b
		}()}}, ppid: 11, cause: wire.CauseInvalidValues},
		{name: "length field below the SCTP message (trailing bytes)", msgs: []sent{{11, append(asapMsg(0x05, 0, ph), 0xde, 0xad, 0xbe, 0xef)}}, ppid: 11, cause: wire.CauseInvalidValues},
		{name: "length field below 4", msgs: []sent{{11, []byte{0x05, 0, 0, 2, 0, 0, 0, 0}}}, ppid: 11, cause: wire.CauseInvalidValues},
		{name: "3-byte message", msgs: []sent{{11, []byte{0x05, 0, 0}}}, ppid: 11, cause: wire.CauseInvalidValues},
		{name: "garbage", msgs: []sent{{11, []byte{0xde, 0xad, 0x00, 0x0c, 1, 2, 3, 4, 5, 6, 7, 8}}}, ppid: 11, cause: wire.CauseUnrecognizedMessage},
		{name: "unknown parameter stop+report", msgs: []sent{{11, asapMsg(0x05, 0, ph, tlv(0x4033, []byte{1, 2, 3, 4}))}}, ppid: 11, cause: wire.CauseUnrecognizedParameter},
		{name: "ENRP Presence with the ASAP PPID", msgs: []sent{{11, presence}}, ppid: 11, cause: wire.CauseInvalidValues},
		// decodes as an ENRP List Request or not at all: no answer (peering is a later issue)
		{name: "ASAP Handle Resolution with the ENRP PPID", msgs: []sent{{12, hres}}},
		{name: "ENRP garbage", msgs: []sent{{12, []byte{0xde, 0xad, 0x00, 0x0c, 1, 2, 3, 4, 5, 6, 7, 8}}}, ppid: 12, anyCause: true},
		// A Presence from a registrar it does not know makes it a peer:
		// the registrar asks for its peers and its handle table.
		{name: "Presence on PPID 12 from an unknown registrar", msgs: []sent{{12, presence}},
			wantENRP: []wire.MessageType{wire.ENRPListRequest, wire.ENRPHandleTableRequest}},
		{name: "foreign PPID 46 is dropped", msgs: []sent{{46, asapMsg(0xff, 0)}, {46, hres}}},
		{name: "PPID 0 is the listener's protocol", msgs: []sent{{0, asapMsg(0x7f, 0, ph)}}, ppid: 11, cause: wire.CauseUnrecognizedMessage},
		{name: "message of 100 KiB", msgs: []sent{{11, big}}, closed: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dialAssoc(t, addr, transport.Config{PPID: wire.PPIDASAP, MaxMessageSize: 1 << 20})
			for _, m := range tc.msgs {
				c.sendRaw(m.ppid, m.b)
			}
			// A probe after the messages shows the association still
			// serves; where the registrar must end it, the abort may beat
			// the probe, so there it only waits for the end.
			if !tc.closed {
				c.send(wire.PPIDASAP, &wire.HandleResolution{PoolHandle: wire.PoolHandle("alive")})
			}
			var replies []string
			found := false
			seen := map[wire.MessageType]bool{}
			for {
				ppid, m, err := c.recv(3 * time.Second)
				if err != nil && m == nil && ppid == 0 {
					if tc.closed {
						break
					}
					t.Fatalf("after %v: %v", replies, err)
				}
				if tc.closed {
					t.Fatalf("registrar kept the association open: %v on PPID %d", m, ppid)
				}
				if hr, ok := m.(*wire.HandleResolutionResponse); ok && ppid == wire.PPIDASAP && string(hr.PoolHandle) == "alive" {
					if len(hr.PoolElements) != 1 {
						t.Fatalf("probe resolution %v", hr)
					}
					break
				}
				replies = append(replies, ppidString(ppid, m, err))
				if m != nil && ppid == wire.PPIDENRP {
					seen[m.Type()] = true
				}
				if tc.ppid != 0 && ppid == tc.ppid && (tc.anyCause || causeIn(m) == tc.cause) {
					found = true
				}
			}
			for _, want := range tc.wantENRP {
				if !seen[want] {
					t.Fatalf("no ENRP %v among the replies %v", want, replies)
				}
			}
			switch {
			case tc.closed:
			case tc.wantENRP != nil:
			case tc.ppid == 0 && len(replies) != 0:
				t.Fatalf("expected no reply, got %v", replies)
			case tc.ppid != 0 && !found:
				t.Fatalf("no Operation Error (cause %v) on PPID %d in %v", tc.cause, tc.ppid, replies)
			}
			t.Logf("replies: %v", replies)
			if !resolvable(t.Context(), t, addr, "alive", 1) {
				t.Fatal("registrar stopped serving or lost PE 1")
			}
		})
	}
}

func ppidString(ppid uint32, m wire.Message, err error) string {
	if err != nil {
		return fmt.Sprintf("PPID %d: %v", ppid, err)
	}
	return fmt.Sprintf("PPID %d: %v (cause %v)", ppid, m.Type(), causeIn(m))
}

// causeIn returns the first cause of the Operation Error m carries, or 0.
func causeIn(m wire.Message) wire.CauseCode {
	var oe *wire.OperationError
	switch m := m.(type) {
	case *wire.ASAPErrorMessage:
		oe = &m.Error
	case *wire.ENRPErrorMessage:
		oe = &m.Error
	case *wire.RegistrationResponse:
		oe = m.Error
	case *wire.HandleResolutionResponse:
		oe = m.Error
	}
	if oe == nil || len(oe.Causes) == 0 {
		return 0
	}
	return oe.Causes[0].Code
}
