package wire

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sigpool/sigpool/internal/sctppcap"
	"github.com/sigpool/sigpool/internal/tshark"
	"github.com/sigpool/sigpool/internal/tshark/tsharktest"
)

// Parameter names as RFC 5354 gives them; tshark's names contain these words.
var conformanceParamNames = map[uint16]string{
	0x0001: "IPv4 Address",
	0x0002: "IPv6 Address",
	0x0003: "DCCP Transport",
	0x0004: "SCTP Transport",
	0x0005: "TCP Transport",
	0x0006: "UDP Transport",
	0x0007: "UDP-Lite Transport",
	0x0008: "Pool Member Selection Policy",
	0x0009: "Pool Handle",
	0x000a: "Pool Element",
	0x000b: "Server Information",
	0x000c: "Operation Error",
	0x000d: "Cookie",
	0x000e: "Pool Element Identifier",
	0x000f: "PE Checksum",
	0x803f: "Handle Resolution Option",
}

// encodedLayout is what the test reads back from the encoded bytes on its
// own, without the decoder under test: the parameter types in order (nested
// ones included) and the cause codes of Operation Errors.
type encodedLayout struct {
	params   []uint16
	causes   []uint16
	handles  []string // hex, as tshark prints bytes
	policies []uint64 // policy type codes
	peIDs    []uint64 // Pool Element parameters' PE IDs
	peIDPars []uint64 // PE Identifier parameters
}

// fixedBodyLen is the length of the fixed fields between the common header
// and the first parameter (RFC 5352 section 2.2, RFC 5353 section 2).
func fixedBodyLen(t MessageType) int {
	switch t {
	case ASAPEndpointKeepAlive, ASAPServerAnnounce:
		return 4 // Server Identifier
	case ENRPHandleUpdate:
		return 8 + 4 // server IDs, Update Action + reserved
	case ENRPInitTakeover, ENRPInitTakeoverAck, ENRPTakeoverServer:
		return 8 + 4 // server IDs, Target Server ID
	}
	if t.Protocol() == ProtocolENRP {
		return 8 // Sender and Receiver Server IDs
	}
	return 0
}

func walkParams(b []byte, l *encodedLayout) error {
	for len(b) > 0 {
		if len(b) < 4 {
			return fmt.Errorf("%d trailing bytes", len(b))
		}
		typ, n := binary.BigEndian.Uint16(b), int(binary.BigEndian.Uint16(b[2:]))
		if n < 4 || n > len(b) {
			return fmt.Errorf("parameter 0x%04x: length %d of %d", typ, n, len(b))
		}
		l.params = append(l.params, typ)
		v := b[4:n]
		var err error
		switch typ {
		case 0x0008:
			if len(v) >= 4 {
				l.policies = append(l.policies, uint64(binary.BigEndian.Uint32(v)))
			}
		case 0x0009:
			l.handles = append(l.handles, hex.EncodeToString(v))
		case 0x000e:
			if len(v) >= 4 {
				l.peIDPars = append(l.peIDPars, uint64(binary.BigEndian.Uint32(v)))
			}
		case 0x0003: // DCCP: port, reserved, service code, addresses
			err = walkParams(v[min(8, len(v)):], l)
		case 0x0004, 0x0005, 0x0006, 0x0007: // port, transport use/reserved, addresses
			err = walkParams(v[min(4, len(v)):], l)
		case 0x000a: // PE ID, home registrar, registration life, transports, policy
			if len(v) >= 4 {
				l.peIDs = append(l.peIDs, uint64(binary.BigEndian.Uint32(v)))
			}
			err = walkParams(v[min(12, len(v)):], l)
		case 0x000b: // Server ID, transport
			err = walkParams(v[min(4, len(v)):], l)
		case 0x000c:
			for c := v; len(c) >= 4; {
				cl := int(binary.BigEndian.Uint16(c[2:]))
				if cl < 4 || cl > len(c) {
					return fmt.Errorf("cause length %d of %d", cl, len(c))
				}
				code := binary.BigEndian.Uint16(c)
				l.causes = append(l.causes, code)
				// Causes whose info is a parameter (RFC 5354 section 3.10):
				// unrecognized parameter, invalid values, policy
				// inconsistent, inconsistent transport, data/control.
				switch code {
				case 0x1, 0x3, 0x5, 0x7, 0x8:
					if err := walkParams(c[4:cl], l); err != nil {
						return fmt.Errorf("cause 0x%x: %w", code, err)
					}
				}
				c = c[min(len(c), (cl+3)&^3):]
			}
		}
		if err != nil {
			return err
		}
		b = b[min(len(b), (n+3)&^3):]
	}
	return nil
}

// TestTsharkConformance writes one of every ASAP and ENRP message, with every
// parameter kind, as synthetic SCTP frames (PPID 11 and 12) and has tshark
// dissect them: no frame may be malformed or carry an expert error, and the
// message types, flags, lengths, parameter and cause names and key values
// tshark reports must be those encoded.
func TestTsharkConformance(t *testing.T) {
	msgs := append(sampleASAPMessages(), sampleENRPMessages()...)
	encoded := make([][]byte, len(msgs))
	frames := make([]sctppcap.Frame, len(msgs))
	start := time.Unix(1_800_000_000, 0)
	for i, m := range msgs {
		b, err := m.AppendTo(nil)
		if err != nil {
			t.Fatalf("encode %v: %v", m.Type(), err)
		}
		encoded[i] = b
		src := netip.MustParseAddrPort("127.0.0.1:40000")
		dst := netip.MustParseAddrPort("127.0.0.1:3863")
		if m.Type().Protocol() == ProtocolENRP {
			src = netip.MustParseAddrPort("127.0.0.1:9901")
			dst = netip.MustParseAddrPort("127.0.0.2:9901")
		}
		frames[i] = sctppcap.Frame{Time: start.Add(time.Duration(i) * time.Millisecond), Src: src, Dst: dst, PPID: m.Type().Protocol().PPID(), Data: b}
	}
	pkts := tsharktest.Dissect(t, "rserpool.pcap", frames)

	seen := map[MessageType]bool{}
	paramKinds := map[uint16]bool{}
	for i, m := range msgs {
		typ := m.Type()
		seen[typ] = true
		t.Run(fmt.Sprintf("%02d-%s", i, strings.ReplaceAll(typ.String(), " ", "")), func(t *testing.T) {
			p, b := pkts[i], encoded[i]
			proto := strings.ToLower(typ.Protocol().String())
			if probs := p.Problems(); len(probs) > 0 {
				t.Fatalf("tshark reports %v for % x", probs, b)
			}
			if p.Protocol(proto) == nil {
				t.Fatalf("tshark found no %s layer", proto)
			}
			mt := p.First(proto + ".message_type")
			if v, err := mt.Uint(); err != nil || v != uint64(typ.Code()) {
				t.Errorf("message type %d (%v), encoded %d", v, err, typ.Code())
			} else if !strings.Contains(mt.ShowName, typ.String()) {
				t.Errorf("tshark names the message %q, want %q", mt.ShowName, typ.String())
			}
			if v, _ := p.First(proto + ".message_flags").Uint(); v != uint64(b[1]) {
				t.Errorf("flags 0x%02x, encoded 0x%02x", v, b[1])
			}
			if v, _ := p.First(proto + ".message_length").Uint(); v != uint64(len(b)) {
				t.Errorf("length %d, encoded %d", v, len(b))
			}

			var want encodedLayout
			if err := walkParams(b[4+fixedBodyLen(typ):], &want); err != nil {
				t.Fatalf("walk encoded parameters: %v", err)
			}
			for _, pt := range want.params {
				paramKinds[pt] = true
			}
			var got []uint16
			for _, f := range p.All(proto + ".parameter_type") {
				v, err := f.Uint()
				if err != nil {
					t.Fatalf("parameter type %q: %v", f.Show, err)
				}
				got = append(got, uint16(v))
				// A type outside RFC 5354 (carried inside an Unrecognized
				// Parameter cause) is one tshark must call unknown.
				name, known := conformanceParamNames[uint16(v)]
				if !known {
					name = "Unknown"
				}
				if !strings.Contains(f.ShowName, name) {
					t.Errorf("tshark names parameter 0x%04x %q, want it to contain %q", v, f.ShowName, name)
				}
			}
			if !slices.Equal(got, want.params) {
				t.Errorf("parameter types %04x, encoded %04x", got, want.params)
			}
			var gotCauses []uint16
			for _, f := range p.All(proto + ".cause_code") {
				v, _ := f.Uint()
				gotCauses = append(gotCauses, uint16(v))
			}
			if !slices.Equal(gotCauses, want.causes) {
				t.Errorf("cause codes %x, encoded %x", gotCauses, want.causes)
			}

			checkServerIDs(t, p, typ, b)
			checkValues(t, p, proto+".pool_handle_pool_handle", want.handles)
			checkUints(t, p, proto+".pool_member_selection_policy_type", want.policies)
			checkUints(t, p, proto+".pool_element_pe_identifier", want.peIDs)
			checkUints(t, p, proto+".pe_identifier", want.peIDPars)
		})
	}
	for _, typ := range allMessageTypes() {
		if !seen[typ] {
			t.Errorf("no sample of %v", typ)
		}
	}
	for code, name := range conformanceParamNames {
		if !paramKinds[code] {
			t.Errorf("no sample carries parameter 0x%04x (%s)", code, name)
		}
	}
	if len(seen) != 24 {
		t.Errorf("%d message types covered, want all 24", len(seen))
	}
}

func allMessageTypes() []MessageType {
	var out []MessageType
	for c := MessageType(1); c <= 14; c++ {
		out = append(out, MessageType(ProtocolASAP)<<8|c)
	}
	for c := MessageType(1); c <= 10; c++ {
		out = append(out, MessageType(ProtocolENRP)<<8|c)
	}
	return out
}

func checkServerIDs(t *testing.T, p tshark.Packet, typ MessageType, b []byte) {
	t.Helper()
	field := func(name string, off int) {
		t.Helper()
		want := binary.BigEndian.Uint32(b[off:])
		if v, err := p.First(name).Uint(); err != nil || v != uint64(want) {
			t.Errorf("%s = %d (%v), encoded %d", name, v, err, want)
		}
	}
	switch {
	case typ == ASAPEndpointKeepAlive || typ == ASAPServerAnnounce:
		field("asap.server_identifier", 4)
	case typ.Protocol() == ProtocolENRP:
		field("enrp.sender_servers_id", 4)
		field("enrp.receiver_servers_id", 8)
		switch typ {
		case ENRPInitTakeover, ENRPInitTakeoverAck, ENRPTakeoverServer:
			field("enrp.target_servers_id", 12)
		case ENRPHandleUpdate:
			if v, _ := p.First("enrp.update_action").Uint(); v != uint64(binary.BigEndian.Uint16(b[12:])) {
				t.Errorf("update action %d, encoded %d", v, binary.BigEndian.Uint16(b[12:]))
			}
		}
	}
}

// checkValues compares the raw bytes of every field of that name, in
// dissection order, with the hex values found in the encoded message.
func checkValues(t *testing.T, p tshark.Packet, name string, want []string) {
	t.Helper()
	var got []string
	for _, f := range p.All(name) {
		got = append(got, strings.ReplaceAll(f.Value, ":", ""))
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s: tshark %q, encoded %q", name, got, want)
	}
}

func checkUints(t *testing.T, p tshark.Packet, name string, want []uint64) {
	t.Helper()
	var got []uint64
	for _, f := range p.All(name) {
		v, err := f.Uint()
		if err != nil {
			t.Fatalf("%s %q: %v", name, f.Show, err)
		}
		got = append(got, v)
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s: tshark %d, encoded %d", name, got, want)
	}
}
