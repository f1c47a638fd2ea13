package enrp

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sigpool/sigpool/internal/transporttest"
	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

// expectation of one hostile case: the replies before the probe
// resolution, or a closed connection.
type expect struct {
	closed bool
	check  func(t *testing.T, replies []wire.Message)
}

func errorCause(code wire.CauseCode) expect {
	return expect{check: func(t *testing.T, rs []wire.Message) {
		t.Helper()
		for _, m := range rs {
			var oe *wire.OperationError
			switch m := m.(type) {
			case *wire.ASAPErrorMessage:
				oe = &m.Error
			case *wire.RegistrationResponse:
				if !m.Reject {
					continue
				}
				oe = m.Error
			case *wire.DeregistrationResponse:
				oe = m.Error
			case *wire.HandleResolutionResponse:
				oe = m.Error
			}
			if oe != nil && len(oe.Causes) > 0 && oe.Causes[0].Code == code {
				return
			}
		}
		var got []string
		for _, m := range rs {
			got = append(got, fmt.Sprintf("%T %+v", m, m))
		}
		t.Fatalf("no Operation Error with cause %v in %v", code, got)
	}}
}

func nothing() expect {
	return expect{check: func(t *testing.T, rs []wire.Message) {
		t.Helper()
		if len(rs) != 0 {
			t.Fatalf("expected no reply, got %v", rs)
		}
	}}
}

func closedOr(code wire.CauseCode) expect {
	e := errorCause(code)
	e.closed = true // either is fine; checked specially
	return e
}

func TestHostileASAPMessages(t *testing.T) {
	transporttest.TCPOnly(t, "raw TCP framing cases")
	r := startRegistrar(t, Config{RegistrationRate: 50, RegistrationBurst: 20, MaxPEsPerAssociation: 50})
	// A pool that must stay resolvable throughout, from a PE that stays.
	pe0 := dialRaw(t, r)
	pe0.send(reg("alive", pe(1, 7001, rr)))
	if m, err := pe0.read(time.Second); err != nil {
		t.Fatal(err)
	} else if rr, ok := m.(*wire.RegistrationResponse); !ok || rr.Reject {
		t.Fatalf("setup registration: %v", m)
	}

	ph := mustParam(t, wire.PoolHandle("p"))
	goodPE := mustParam(t, pe(5, 7005, rr))
	// Resolutions that must find no pool name one nobody registers: a PE
	// a case registered in "p" leaves only once the registrar has handled
	// the end of that case's association, which a loaded machine delays.
	unknown := mustParam(t, wire.PoolHandle("never-registered"))
	hres := func(extra ...[]byte) []byte {
		return asapMsg(0x05, 0, append([][]byte{unknown}, extra...)...)
	}
	peWith := func(tr []byte, pol []byte) []byte {
		v := binary.BigEndian.AppendUint32(nil, 9)  // PE ID
		v = binary.BigEndian.AppendUint32(v, 0)     // home registrar
		v = binary.BigEndian.AppendUint32(v, 30000) // life
		v = append(v, tr...)
		v = append(v, pol...)
		return tlv(0x000a, v)
	}
	ipv4 := tlv(0x0001, []byte{127, 0, 0, 1})
	tcpTr := func(use uint16, addrs ...[]byte) []byte {
		v := []byte{0x1b, 0x59, byte(use >> 8), byte(use)}
		for _, a := range addrs {
			v = append(v, a...)
		}
		return tlv(0x0005, v)
	}
	rrPol := tlv(0x0008, []byte{0, 0, 0, 1})
	enrpPresence, _ := wire.Marshal(&wire.Presence{SenderServerID: 1, PEChecksum: 0xffff})
	enrpHTR, _ := wire.Marshal(&wire.HandleTableRequest{SenderServerID: 1})
	bigHandle := bytes.Repeat([]byte("x"), 1000)
	garbage := []byte{0xde, 0xad, 0x00, 0x0c, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08}

	cases := []struct {
		name string
		send func(rc *rawConn)
		want expect
	}{
		{"truncated header", func(rc *rawConn) { rc.write([]byte{0x05, 0x00, 0x00}); rc.c.(*net.TCPConn).CloseWrite() }, expect{closed: true}},
		{"length beyond the bytes sent", func(rc *rawConn) {
			rc.write([]byte{0x05, 0x00, 0x00, 0x64, 0, 9, 0, 5})
			rc.c.(*net.TCPConn).CloseWrite()
		}, expect{closed: true}},
		{"length below 4", func(rc *rawConn) { rc.write([]byte{0x05, 0x00, 0x00, 0x02}) }, expect{closed: true}},
		{"length 0", func(rc *rawConn) { rc.write([]byte{0x01, 0x00, 0x00, 0x00}) }, expect{closed: true}},
		{"garbage bytes", func(rc *rawConn) { rc.write(garbage) }, closedOr(wire.CauseUnrecognizedMessage)},
		{"garbage bytes then close", func(rc *rawConn) {
			rc.write([]byte{0xbe, 0xef, 0xca, 0xfe, 0x99, 0x98})
			rc.c.(*net.TCPConn).CloseWrite()
		}, expect{closed: true}},
		{"unknown message type", func(rc *rawConn) { rc.write(asapMsg(0x7f, 0, ph)) }, errorCause(wire.CauseUnrecognizedMessage)},
		{"message type 0", func(rc *rawConn) { rc.write(asapMsg(0x00, 0)) }, errorCause(wire.CauseUnrecognizedMessage)},
		{"unknown param, action stop", func(rc *rawConn) { rc.write(hres(tlv(0x0033, []byte{1, 2, 3, 4}))) }, nothing()},
		{"unknown param, action stop+report", func(rc *rawConn) { rc.write(hres(tlv(0x4033, []byte{1, 2, 3, 4}))) }, errorCause(wire.CauseUnrecognizedParameter)},
		{"unknown param, action skip", func(rc *rawConn) { rc.write(hres(tlv(0x8033, []byte{1, 2, 3, 4}))) }, errorCause(wire.CauseUnknownPoolHandle)},
		{"unknown param, action skip+report", func(rc *rawConn) { rc.write(hres(tlv(0xc033, []byte{1, 2, 3, 4}))) }, errorCause(wire.CauseUnrecognizedParameter)},
		{"PE with invalid transport use", func(rc *rawConn) { rc.write(asapMsg(0x01, 0, ph, peWith(tcpTr(7, ipv4), rrPol))) }, errorCause(wire.CauseInvalidValues)},
		{"PE with TCP transport without address", func(rc *rawConn) { rc.write(asapMsg(0x01, 0, ph, peWith(tcpTr(0), rrPol))) }, errorCause(wire.CauseInvalidValues)},
		{"PE with two TCP addresses", func(rc *rawConn) { rc.write(asapMsg(0x01, 0, ph, peWith(tcpTr(0, ipv4, ipv4), rrPol))) }, errorCause(wire.CauseInvalidValues)},
		{"zero PE ID", func(rc *rawConn) { rc.send(reg("p", pe(0, 7000, rr))) }, errorCause(wire.CauseInvalidValues)},
		{"oversize pool handle (33 bytes)", func(rc *rawConn) { rc.send(reg(string(bigHandle[:33]), pe(6, 7006, rr))) }, errorCause(wire.CauseInvalidValues)},
		{"huge pool handle in resolution", func(rc *rawConn) { rc.write(asapMsg(0x05, 0, tlv(0x0009, bigHandle))) }, errorCause(wire.CauseUnknownPoolHandle)},
		{"round robin policy with a weight field", func(rc *rawConn) {
			rc.write(asapMsg(0x01, 0, ph, peWith(tcpTr(0, ipv4), tlv(0x0008, []byte{0, 0, 0, 1, 0, 0, 0, 5}))))
		}, errorCause(wire.CauseInvalidValues)},
		{"weighted round robin without weight", func(rc *rawConn) {
			rc.write(asapMsg(0x01, 0, ph, peWith(tcpTr(0, ipv4), tlv(0x0008, []byte{0, 0, 0, 2}))))
		}, errorCause(wire.CauseInvalidValues)},
		{"parameter length beyond message", func(rc *rawConn) {
			b := asapMsg(0x05, 0, ph)
			binary.BigEndian.PutUint16(b[6:], 200)
			rc.write(b)
		}, errorCause(wire.CauseInvalidValues)},
		{"resolution without pool handle", func(rc *rawConn) { rc.write(asapMsg(0x05, 0)) }, errorCause(wire.CauseInvalidValues)},
		{"registration without pool element", func(rc *rawConn) { rc.write(asapMsg(0x01, 0, ph)) }, errorCause(wire.CauseInvalidValues)},
		{"registration flood beyond limits", func(rc *rawConn) {
			for i := range 120 {
				rc.send(reg("flood", pe(uint32(100+i), uint16(8000+i), rr)))
			}
		}, errorCause(wire.CauseLackOfResources)},
		{"ENRP Presence on the ASAP port", func(rc *rawConn) { rc.write(enrpPresence) }, errorCause(wire.CauseInvalidValues)},
		{"ENRP Handle Table Request on the ASAP port", func(rc *rawConn) { rc.write(enrpHTR) }, errorCause(wire.CauseInvalidValues)},
		{"Business Card to registrar", func(rc *rawConn) {
			rc.send(&wire.BusinessCard{PoolHandle: wire.PoolHandle("p"), PoolElements: []wire.PoolElement{pe(5, 7005, rr)}})
		}, errorCause(wire.CauseUnrecognizedMessage)},
		{"Registration Response to registrar", func(rc *rawConn) {
			rc.send(&wire.RegistrationResponse{PoolHandle: wire.PoolHandle("p"), PEIdentifier: 5})
		}, errorCause(wire.CauseUnrecognizedMessage)},
		{"Endpoint Keep-Alive to registrar", func(rc *rawConn) { rc.send(&wire.EndpointKeepAlive{ServerID: 5, PoolHandle: wire.PoolHandle("p")}) }, errorCause(wire.CauseUnrecognizedMessage)},
		{"Server Announce to registrar", func(rc *rawConn) { rc.send(&wire.ServerAnnounce{ServerID: 5}) }, errorCause(wire.CauseUnrecognizedMessage)},
		{"Cookie Echo to registrar", func(rc *rawConn) { rc.send(&wire.CookieEcho{Cookie: wire.Cookie("x")}) }, errorCause(wire.CauseUnrecognizedMessage)},
		{"ASAP Error to registrar", func(rc *rawConn) {
			rc.send(&wire.ASAPErrorMessage{Error: wire.OperationError{Causes: []wire.ErrorCause{{Code: wire.CauseInvalidValues}}}})
		}, nothing()},
		{"deregistration, unknown pool", func(rc *rawConn) { rc.send(&wire.Deregistration{PoolHandle: wire.PoolHandle("none"), PEIdentifier: 1}) }, errorCause(wire.CauseUnknownPoolHandle)},
		{"deregistration of another's PE", func(rc *rawConn) {
			rc.send(&wire.Deregistration{PoolHandle: wire.PoolHandle("alive"), PEIdentifier: 1})
		}, errorCause(wire.CauseRejectionDueToSecurity)},
		{"non-unique PE ID", func(rc *rawConn) { rc.send(reg("alive", pe(1, 7999, rr))) }, errorCause(wire.CauseNonUniquePEIdentifier)},
		{"policy inconsistent", func(rc *rawConn) { rc.send(reg("alive", pe(2, 7002, wire.Policy{Type: wire.PolicyLeastUsed}))) }, errorCause(wire.CauseInconsistentPoolingPolicy)},
		{"forged keep-alive ack, unreachable for unknown PE", func(rc *rawConn) {
			rc.send(&wire.EndpointKeepAliveAck{PoolHandle: wire.PoolHandle("alive"), PEIdentifier: 77})
			rc.send(&wire.EndpointUnreachable{PoolHandle: wire.PoolHandle("none"), PEIdentifier: 77})
		}, nothing()},
		{"good registration with a skip+report parameter", func(rc *rawConn) { rc.write(asapMsg(0x01, 0, ph, goodPE, tlv(0xc099, nil))) }, errorCause(wire.CauseUnrecognizedParameter)},
		{"maximum-size message of unknown skip parameters", func(rc *rawConn) {
			params := [][]byte{unknown}
			for range 4000 { // 4000 x 16 bytes: just below the 64 KiB limit
				params = append(params, tlv(0x8044, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}))
			}
			rc.write(asapMsg(0x05, 0, params...))
		}, errorCause(wire.CauseUnknownPoolHandle)},
	}
	if len(cases) < 25 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc := dialRaw(t, r)
			tc.send(rc)
			if tc.want.closed && tc.want.check == nil {
				if !rc.closed(2 * time.Second) {
					t.Fatal("registrar kept the connection open")
				}
			} else {
				probe(t, rc, tc.want)
			}
			// The registrar still serves another client.
			other := dialRaw(t, r)
			other.send(&wire.HandleResolution{PoolHandle: wire.PoolHandle("alive")})
			m, err := other.read(2 * time.Second)
			if err != nil {
				t.Fatalf("registrar stopped serving: %v", err)
			}
			if hr, ok := m.(*wire.HandleResolutionResponse); !ok || len(hr.PoolElements) != 1 {
				t.Fatalf("probe client got %v", m)
			}
		})
	}
}

// probe sends a resolution for "alive" behind the case's messages and
// collects the replies that come before its answer (TCP keeps order).
func probe(t *testing.T, rc *rawConn, want expect) {
	t.Helper()
	rc.send(&wire.HandleResolution{PoolHandle: wire.PoolHandle("alive")})
	var replies []wire.Message
	for {
		m, err := rc.read(3 * time.Second)
		if err != nil {
			if want.closed {
				return // closing is acceptable for this case
			}
			t.Fatalf("after %v: %v", replies, err)
		}
		if hr, ok := m.(*wire.HandleResolutionResponse); ok && string(hr.PoolHandle) == "alive" {
			break
		}
		replies = append(replies, m)
	}
	if want.check != nil {
		want.check(t, replies)
	}
}

func TestRegistrarServesMuxAndENRP(t *testing.T) {
	transporttest.TCPOnly(t, "raw TCP framing cases")
	r, err := Start(t.Context(), Options{Core: Config{ServerID: 9}, Listen: []string{"mux+tcp://127.0.0.1:0"}, ENRPListen: []string{"tcp://127.0.0.1:0"}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := Resolve(t.Context(), r.Addrs(wire.ProtocolASAP)[0], pfl(), wire.PoolHandle("x"), 0); err == nil {
		t.Fatal("unknown pool resolved")
	}
	_, entries, err := FetchHandleTable(t.Context(), r.Addrs(wire.ProtocolENRP)[0], pfl())
	if err != nil || len(entries) != 0 {
		t.Fatalf("%v %v", entries, err)
	}
	// ENRP over the mux ASAP port, by PPID
	id, _, err := FetchHandleTable(t.Context(), r.Addrs(wire.ProtocolASAP)[0], pfl())
	if err != nil || id != 9 {
		t.Fatalf("mux ENRP: %v %v", id, err)
	}
	// a foreign PPID over the mux framing is dropped, not answered as ASAP
	c := dialAssoc(t, strings.TrimPrefix(r.Addrs(wire.ProtocolASAP)[0], "mux+"), transport.Config{Framing: transport.FramingMux, PPID: wire.PPIDASAP})
	c.sendRaw(46, asapMsg(0xff, 0))
	c.send(wire.PPIDASAP, &wire.HandleResolution{PoolHandle: wire.PoolHandle("x")})
	if ppid, m, err := c.recv(2 * time.Second); err != nil || ppid != wire.PPIDASAP {
		t.Fatalf("mux: %v on PPID %d, %v", m, ppid, err)
	} else if hr, ok := m.(*wire.HandleResolutionResponse); !ok || string(hr.PoolHandle) != "x" {
		t.Fatalf("mux: the foreign PPID was answered: %v", m)
	}
}

func pfl() transport.Profile { return transport.Profile{} }
