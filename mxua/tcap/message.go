package tcap

import "fmt"

// Message is a TCAP transaction message with its dialogue and component
// portions kept opaque.
type Message struct {
	Type MessageType
	OTID TID // Begin, Continue
	DTID TID // End, Continue, Abort
	// PAbortCause is the P-abort cause of a provider Abort, nil otherwise.
	PAbortCause *uint8
	// Dialogue is the content of the dialogue portion (0x6b): an EXTERNAL
	// carrying a dialogue PDU. nil when absent; a user Abort carries its
	// reason here.
	Dialogue []byte
	// Components is the content of the component portion (0x6c): the
	// encoded components one after another. nil when absent.
	Components []byte
}

// appendLength appends a definite length in the shortest form.
func appendLength(b []byte, n int) []byte {
	switch {
	case n < 0x80:
		return append(b, byte(n))
	case n <= 0xff:
		return append(b, 0x81, byte(n))
	case n <= 0xffff:
		return append(b, 0x82, byte(n>>8), byte(n))
	}
	return append(b, 0x83, byte(n>>16), byte(n>>8), byte(n))
}

func appendTLV(b []byte, tag byte, v []byte) []byte {
	return append(appendLength(append(b, tag), len(v)), v...)
}

// AppendTo appends the encoded message. Q.773 decides which elements the
// type takes: Begin an OTID, End a DTID, Continue both, Abort a DTID and
// at most one of P-abort cause and dialogue portion, Unidirectional no
// IDs and a component portion.
func (m *Message) AppendTo(b []byte) ([]byte, error) {
	fail := func(reason error, format string, args ...any) ([]byte, error) {
		return b, &EncodeError{Message: m.Type, Reason: reason, Detail: fmt.Sprintf(format, args...)}
	}
	wantO, wantD := false, false
	switch m.Type {
	case Unidirectional:
		if m.Components == nil {
			return fail(ErrUnexpectedElement, "a Unidirectional needs a component portion")
		}
	case Begin:
		wantO = true
	case End:
		wantD = true
	case Continue:
		wantO, wantD = true, true
	case Abort:
		wantD = true
		if m.Components != nil || (m.PAbortCause != nil && m.Dialogue != nil) {
			return fail(ErrUnexpectedElement, "an Abort carries no components and either a P-abort cause or a dialogue portion")
		}
	default:
		return fail(ErrUnknownMessage, "%v", m.Type)
	}
	if m.Type != Abort && m.PAbortCause != nil {
		return fail(ErrUnexpectedElement, "P-abort cause outside an Abort")
	}
	if m.OTID.Valid() != wantO || m.DTID.Valid() != wantD {
		return fail(ErrTransactionID, "otid present %v, dtid present %v; want %v, %v", m.OTID.Valid(), m.DTID.Valid(), wantO, wantD)
	}
	if len(m.Dialogue)+len(m.Components) > 0xffff {
		return fail(ErrTooLong, "%d octets", len(m.Dialogue)+len(m.Components))
	}
	var body []byte
	if wantO {
		body = appendTLV(body, TagOTID, m.OTID.b[:m.OTID.n])
	}
	if wantD {
		body = appendTLV(body, TagDTID, m.DTID.b[:m.DTID.n])
	}
	if m.PAbortCause != nil {
		body = appendTLV(body, TagPAbortCause, []byte{*m.PAbortCause})
	}
	if m.Dialogue != nil {
		body = appendTLV(body, TagDialoguePortion, m.Dialogue)
	}
	if m.Components != nil {
		body = appendTLV(body, TagComponents, m.Components)
	}
	return appendTLV(b, byte(m.Type), body), nil
}

// Marshal encodes m into a new slice.
func Marshal(m *Message) ([]byte, error) { return m.AppendTo(nil) }

// Decode splits a TCAP message into its IDs and opaque portions, checking
// the elements' order and which the type allows. The message does not alias b.
func Decode(b []byte) (*Message, error) {
	tr, err := TransactionIDs(b)
	if err != nil {
		return nil, err
	}
	m := &Message{Type: tr.Type, OTID: tr.OTID, DTID: tr.DTID}
	_, val, n, _ := readTL(b, 0, len(b), 0) // checked by TransactionIDs
	off, end := val, val+n
	// Skip the IDs TransactionIDs has read.
	for range boolInt(m.OTID.Valid()) + boolInt(m.DTID.Valid()) {
		_, v, l, _ := readTL(b, off, end, m.Type)
		off = v + l
	}
	// Allowed after the IDs, in this order.
	allowed := []byte{TagDialoguePortion, TagComponents}
	if m.Type == Abort {
		allowed = []byte{TagPAbortCause, TagDialoguePortion}
	}
	for off < end {
		tag, v, l, err := readTL(b, off, end, m.Type)
		if err != nil {
			return nil, err
		}
		i := 0
		for i < len(allowed) && allowed[i] != tag {
			i++
		}
		if i == len(allowed) {
			return nil, &DecodeError{Offset: off, Message: m.Type, Reason: ErrUnexpectedElement, Detail: fmt.Sprintf("tag 0x%02x here", tag)}
		}
		allowed = allowed[i+1:]
		val := append([]byte{}, b[v:v+l]...)
		switch tag {
		case TagPAbortCause:
			if l != 1 {
				return nil, &DecodeError{Offset: off, Message: m.Type, Reason: ErrLength, Detail: fmt.Sprintf("P-abort cause of %d octets", l)}
			}
			m.PAbortCause = &val[0]
			allowed = nil // a P-abort cause excludes a dialogue portion
		case TagDialoguePortion:
			m.Dialogue = val
		case TagComponents:
			m.Components = val
		}
		off = v + l
	}
	if m.Type == Unidirectional && m.Components == nil {
		return nil, &DecodeError{Offset: end, Message: m.Type, Reason: ErrUnexpectedElement, Detail: "no component portion"}
	}
	return m, nil
}

func boolInt(v bool) int {
	if v {
		return 1
	}
	return 0
}
