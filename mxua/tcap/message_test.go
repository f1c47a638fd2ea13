package tcap

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func TestLongComponents(t *testing.T) {
	// 300 octets of components need a 2-octet long-form length, and the
	// message then a 0x82 length as well.
	comps := bytes.Repeat([]byte{0x05, 0x00}, 150)
	m := &Message{Type: Continue, OTID: TIDUint32(0x01020304), DTID: tid("aa"), Components: comps}
	b, err := Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, hx(`65 82 01 39 48 04 01 02 03 04 49 01 aa 6c 82 01 2c`)) {
		t.Errorf("header % x", b[:17])
	}
	if got, err := Decode(b); err != nil || !reflect.DeepEqual(got, m) {
		t.Errorf("round trip: %v", err)
	}
}

func TestEncodeErrors(t *testing.T) {
	for _, c := range []struct {
		name   string
		m      Message
		reason error
	}{
		{"unknown type", Message{Type: 0x63}, ErrUnknownMessage},
		{"begin without otid", Message{Type: Begin}, ErrTransactionID},
		{"begin with dtid", Message{Type: Begin, OTID: tid("01"), DTID: tid("02")}, ErrTransactionID},
		{"continue without dtid", Message{Type: Continue, OTID: tid("01")}, ErrTransactionID},
		{"unidirectional without components", Message{Type: Unidirectional}, ErrUnexpectedElement},
		{"abort with components", Message{Type: Abort, DTID: tid("01"), Components: []byte{}}, ErrUnexpectedElement},
		{"abort with cause and dialogue", Message{Type: Abort, DTID: tid("01"), PAbortCause: u8(1), Dialogue: []byte{}}, ErrUnexpectedElement},
		{"cause outside abort", Message{Type: End, DTID: tid("01"), PAbortCause: u8(1)}, ErrUnexpectedElement},
		{"too long", Message{Type: End, DTID: tid("01"), Components: make([]byte, 0x10000)}, ErrTooLong},
	} {
		t.Run(c.name, func(t *testing.T) {
			prefix := []byte{0xee}
			b, err := c.m.AppendTo(prefix)
			if !errors.Is(err, c.reason) {
				t.Fatalf("got %v, want %v", err, c.reason)
			}
			if !bytes.Equal(b, prefix) {
				t.Errorf("failed encode left % x", b)
			}
		})
	}
}
