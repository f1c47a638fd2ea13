package tcap

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// invoke is one component: Invoke, invoke ID 1, local opcode 45 (MAP
// sendRoutingInfoForSM) without parameter.
const invoke = `a1 06 02 01 01 02 01 2d`

// aare is a dialogue portion's content: EXTERNAL { dialogue-as-id
// 0.0.17.773.1.1.1, AARE { protocol-version 1, application-context-name
// 0.4.0.0.1.0.20.3, result accepted, result-source-diagnostic
// dialogue-service-user null } } (Q.773 table 49, 50).
const aare = `28 28 06 07 00 11 86 05 01 01 01 a0 1d 61 1b 80 02 07 80
	a1 09 06 07 04 00 00 01 00 14 03 a2 03 02 01 00 a3 05 a1 03 02 01 00`

type golden struct {
	name string
	hex  string
	msg  *Message
	// exact: encoding msg gives hex back (false for non-minimal lengths).
	exact bool
}

var goldens = []golden{
	{
		// The TCAP Begin of a public MAP sendRoutingInfoForSM UDT test
		// vector (see mxua/sccp): otid 16 00 00 00, one Invoke.
		name: "srism-begin",
		hex: `62 27 48 04 16 00 00 00 6c 1f a1 1d 02 01 00 02 01 2d 30 15
			80 07 91 97 20 78 76 83 f6 81 01 01 82 07 91 97 20 73 00 05 f8`,
		msg: &Message{Type: Begin, OTID: tid("16000000"),
			Components: hx(`a1 1d 02 01 00 02 01 2d 30 15 80 07 91 97 20 78 76 83 f6 81 01 01 82 07 91 97 20 73 00 05 f8`)},
		exact: true,
	},
	{
		// Continue: otid then dtid (Q.773 table 8), 1- and 2-octet IDs.
		name:  "continue",
		hex:   `65 11 48 01 07 49 02 12 34 6c 08 ` + invoke,
		msg:   &Message{Type: Continue, OTID: tid("07"), DTID: tid("1234"), Components: hx(invoke)},
		exact: true,
	},
	{
		name:  "end",
		hex:   `64 10 49 04 16 00 00 00 6c 08 ` + invoke,
		msg:   &Message{Type: End, DTID: tid("16000000"), Components: hx(invoke)},
		exact: true,
	},
	{
		// End with a dialogue portion and no components: an AARE
		// (dialogueResponse) accepting application context
		// shortMsgGatewayContext-v3 (0.4.0.0.1.0.20.3), kept opaque.
		name:  "end-dialogue-only",
		hex:   `64 32 49 04 de ad be ef 6b 2a ` + aare,
		msg:   &Message{Type: End, DTID: tid("deadbeef"), Dialogue: hx(aare)},
		exact: true,
	},
	{
		// Provider abort: unrecognized transaction ID (1).
		name:  "p-abort",
		hex:   `67 09 49 04 00 00 00 01 4a 01 01`,
		msg:   &Message{Type: Abort, DTID: tid("00000001"), PAbortCause: u8(1)},
		exact: true,
	},
	{
		name:  "unidirectional",
		hex:   `61 0a 6c 08 ` + invoke,
		msg:   &Message{Type: Unidirectional, Components: hx(invoke)},
		exact: true,
	},
	{
		// Non-minimal long-form lengths (BER allows them; DER would not).
		name: "begin-long-form",
		hex:  `62 81 13 48 81 04 01 02 03 04 6c 82 00 08 ` + invoke,
		msg:  &Message{Type: Begin, OTID: tid("01020304"), Components: hx(invoke)},
	},
}

func TestGoldens(t *testing.T) {
	for _, g := range goldens {
		t.Run(g.name, func(t *testing.T) {
			b := hx(g.hex)
			tr, err := TransactionIDs(b)
			if err != nil {
				t.Fatalf("TransactionIDs: %v", err)
			}
			if want := (Transaction{g.msg.Type, g.msg.OTID, g.msg.DTID}); tr != want {
				t.Errorf("TransactionIDs = %+v, want %+v", tr, want)
			}
			m, err := Decode(b)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(m, g.msg) {
				t.Errorf("decode:\n got %#v\nwant %#v", m, g.msg)
			}
			enc, err := Marshal(g.msg)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			if g.exact && !bytes.Equal(enc, b) {
				t.Errorf("encode:\n got % x\nwant % x", enc, b)
			}
			if again, err := Decode(enc); err != nil || !reflect.DeepEqual(again, g.msg) {
				t.Errorf("round trip: %v %#v", err, again)
			}
		})
	}
}

func TestTID(t *testing.T) {
	x := tid("00ab")
	if x.Len() != 2 || x.Uint32() != 0xab || x.String() != "00ab" || !bytes.Equal(x.Bytes(), []byte{0, 0xab}) {
		t.Errorf("TID %v: len %d, uint %x, bytes % x", x, x.Len(), x.Uint32(), x.Bytes())
	}
	if x == tid("ab") {
		t.Error("00ab and ab must differ: the length is part of the ID")
	}
	if TIDUint32(0x16000000) != tid("16000000") {
		t.Error("TIDUint32")
	}
	for _, b := range [][]byte{nil, {1, 2, 3, 4, 5}} {
		if _, err := NewTID(b); !errors.Is(err, ErrTransactionID) {
			t.Errorf("NewTID(% x): %v", b, err)
		}
	}
}

func TestMalformed(t *testing.T) {
	for _, c := range []struct {
		name   string
		hex    string
		reason error
		offset int
		// idsOK: TransactionIDs accepts it (the fault is past the IDs).
		idsOK bool
	}{
		{"empty", ``, ErrTruncated, 0, false},
		{"tag only", `62`, ErrTruncated, 0, false},
		{"unknown type", `63 00`, ErrUnknownMessage, 0, false},
		{"indefinite outer", `62 80 48 01 01 00 00`, ErrIndefiniteLength, 1, false},
		{"indefinite otid", `62 03 48 80 01`, ErrIndefiniteLength, 3, false},
		{"5 length octets", `62 85 00 00 00 00 03 48 01 01`, ErrLength, 1, false},
		{"length 0xff", `62 ff`, ErrLength, 1, false},
		{"long form truncated", `62 82 00`, ErrTruncated, 1, false},
		{"4-octet length huge", `62 84 ff ff ff ff 48`, ErrLength, 1, false},
		{"outer runs past end", `62 05 48 01 01`, ErrLength, 1, false},
		{"trailing bytes", `62 03 48 01 01 00`, ErrLength, 5, false},
		{"otid runs past parent", `62 04 48 03 01 02`, ErrLength, 3, false},
		{"begin without otid", `62 02 6c 00`, ErrTransactionID, 2, false},
		{"begin with dtid", `62 06 48 01 01 49 01 02`, ErrTransactionID, 2, false},
		{"end without dtid", `64 02 6c 00`, ErrTransactionID, 2, false},
		{"continue dtid first", `65 06 49 01 01 48 01 02`, ErrTransactionID, 5, false},
		{"continue without dtid", `65 03 48 01 01`, ErrTransactionID, 2, false},
		{"otid twice", `62 06 48 01 01 48 01 02`, ErrTransactionID, 5, false},
		{"otid 5 octets", `62 07 48 05 01 02 03 04 05`, ErrTransactionID, 2, false},
		{"otid empty", `62 02 48 00`, ErrTransactionID, 2, false},
		{"abort without dtid", `67 03 4a 01 01`, ErrTransactionID, 2, false},
		{"unidirectional with otid", `61 05 48 01 01 6c 00`, ErrTransactionID, 2, false},
		{"unidirectional without components", `61 02 6b 00`, ErrUnexpectedElement, 4, true},
		{"components before dialogue", `64 07 49 01 01 6c 00 6b 00`, ErrUnexpectedElement, 7, true},
		{"components in abort", `67 05 49 01 01 6c 00`, ErrUnexpectedElement, 5, true},
		{"p-abort and dialogue", `67 08 49 01 01 4a 01 01 6b 00`, ErrUnexpectedElement, 8, true},
		{"p-abort 2 octets", `67 07 49 01 01 4a 02 01 01`, ErrLength, 5, true},
		{"unknown element", `64 05 49 01 01 30 00`, ErrUnexpectedElement, 5, true},
		{"element truncated", `64 04 49 01 01 6c`, ErrTruncated, 5, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := hx(c.hex)
			_, ierr := TransactionIDs(b)
			if c.idsOK != (ierr == nil) {
				t.Errorf("TransactionIDs: %v", ierr)
			}
			_, err := Decode(b)
			var de *DecodeError
			if !errors.As(err, &de) || !errors.Is(err, c.reason) {
				t.Fatalf("got %v, want %v", err, c.reason)
			}
			if de.Offset != c.offset {
				t.Errorf("offset %d, want %d (%v)", de.Offset, c.offset, err)
			}
		})
	}
}
