// Package tcap reads what a signalling gateway needs from ITU-T TCAP
// messages (Q.773, BER) to keep a dialogue on one gateway controller: the
// message type and the originating and destination transaction IDs,
// without decoding the dialogue or component portions. A small encoder
// builds Begin, Continue, End, Abort and Unidirectional messages around
// opaque dialogue and component portions, for tests and for a responder.
package tcap

import (
	"encoding/hex"
	"fmt"
)

// MessageType is the outer tag of a TCAP message (Q.773 table 8):
// [APPLICATION n] constructed.
type MessageType uint8

const (
	Unidirectional MessageType = 0x61
	Begin          MessageType = 0x62
	End            MessageType = 0x64
	Continue       MessageType = 0x65
	Abort          MessageType = 0x67
)

func (t MessageType) String() string {
	switch t {
	case Unidirectional:
		return "Unidirectional"
	case Begin:
		return "Begin"
	case End:
		return "End"
	case Continue:
		return "Continue"
	case Abort:
		return "Abort"
	}
	return fmt.Sprintf("tag 0x%02x", uint8(t))
}

// Element tags inside a transaction message (Q.773 table 9).
const (
	TagOTID            = 0x48 // originating transaction ID, [APPLICATION 8]
	TagDTID            = 0x49 // destination transaction ID, [APPLICATION 9]
	TagPAbortCause     = 0x4a // P-abort cause, [APPLICATION 10]
	TagDialoguePortion = 0x6b // [APPLICATION 11] constructed
	TagComponents      = 0x6c // component portion, [APPLICATION 12] constructed
)

// TID is a transaction ID: 1 to 4 octets (Q.773 3.1). The zero TID is
// "absent". TIDs are comparable, so they serve as map keys as they are.
type TID struct {
	n uint8
	b [4]byte
}

// NewTID returns the TID of b, which must be 1 to 4 octets.
func NewTID(b []byte) (TID, error) {
	if len(b) < 1 || len(b) > 4 {
		return TID{}, &EncodeError{Reason: ErrTransactionID, Detail: fmt.Sprintf("%d octets, want 1-4", len(b))}
	}
	var t TID
	t.n = uint8(copy(t.b[:], b))
	return t, nil
}

// TIDUint32 returns the 4-octet TID of v, most significant octet first.
func TIDUint32(v uint32) TID {
	return TID{n: 4, b: [4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}}
}

// Len is the TID's length in octets; 0 when absent.
func (t TID) Len() int { return int(t.n) }

// Valid reports whether the TID is present.
func (t TID) Valid() bool { return t.n != 0 }

// Bytes returns a copy of the TID's octets.
func (t TID) Bytes() []byte { return append([]byte(nil), t.b[:t.n]...) }

// Uint32 returns the octets as a big-endian number.
func (t TID) Uint32() uint32 {
	var v uint32
	for _, c := range t.b[:t.n] {
		v = v<<8 | uint32(c)
	}
	return v
}

// String is the TID in hex, as Wireshark shows it.
func (t TID) String() string { return hex.EncodeToString(t.b[:t.n]) }

// Transaction is what routing by dialogue needs from a TCAP message.
type Transaction struct {
	Type MessageType
	OTID TID // Begin, Continue
	DTID TID // End, Continue, Abort
}

// maxLengthOctets bounds the long form: 4 octets say up to 4 GiB, far more
// than any SCCP data can carry; more is overlong.
const maxLengthOctets = 4

// readTL reads a one-octet tag and a definite length at off, within end,
// and returns the tag, the value's offset and its length.
func readTL(b []byte, off, end int, t MessageType) (tag byte, val, n int, err error) {
	if off+2 > end {
		return 0, 0, 0, &DecodeError{Offset: off, Message: t, Reason: ErrTruncated, Detail: "tag and length need 2 octets"}
	}
	tag, l := b[off], int(b[off+1])
	val = off + 2
	switch {
	case l < 0x80:
		n = l
	case l == 0x80:
		return 0, 0, 0, &DecodeError{Offset: off + 1, Message: t, Reason: ErrIndefiniteLength}
	case l == 0xff || l&0x7f > maxLengthOctets:
		return 0, 0, 0, &DecodeError{Offset: off + 1, Message: t, Reason: ErrLength, Detail: fmt.Sprintf("length octet 0x%02x", l)}
	default:
		k := l & 0x7f
		if val+k > end {
			return 0, 0, 0, &DecodeError{Offset: off + 1, Message: t, Reason: ErrTruncated, Detail: fmt.Sprintf("%d length octets", k)}
		}
		for _, c := range b[val : val+k] {
			n = n<<8 | int(c)
		}
		val += k
	}
	if n < 0 || n > end-val { // n < 0: a 4-octet length overflowing a 32-bit int
		return 0, 0, 0, &DecodeError{Offset: off + 1, Message: t, Reason: ErrLength, Detail: fmt.Sprintf("length %d, %d octets left", n, end-val)}
	}
	return tag, val, n, nil
}

// TransactionIDs returns the message type and transaction IDs of a TCAP
// message, checking the outer framing and the IDs Q.773 requires for the
// type, but not the dialogue or component portions. It does not allocate
// unless it fails.
func TransactionIDs(b []byte) (Transaction, error) {
	var tr Transaction
	tag, val, n, err := readTL(b, 0, len(b), 0)
	if err != nil {
		return tr, err
	}
	tr.Type = MessageType(tag)
	switch tr.Type {
	case Unidirectional, Begin, End, Continue, Abort:
	default:
		return Transaction{}, &DecodeError{Reason: ErrUnknownMessage, Detail: tr.Type.String()}
	}
	if val+n != len(b) {
		return Transaction{}, &DecodeError{Offset: val + n, Message: tr.Type, Reason: ErrLength, Detail: fmt.Sprintf("%d trailing octets", len(b)-val-n)}
	}
	off, end := val, val+n
	// The IDs precede every other element; stop at the first other tag
	// without reading its length.
	for off < end && (b[off] == TagOTID || b[off] == TagDTID) {
		tag, v, l, err := readTL(b, off, end, tr.Type)
		if err != nil {
			return Transaction{}, err
		}
		var dst *TID
		switch {
		case tag == TagOTID && !tr.OTID.Valid() && !tr.DTID.Valid():
			dst = &tr.OTID // the OTID comes first in a Continue
		case tag == TagDTID && !tr.DTID.Valid():
			dst = &tr.DTID
		default:
			return Transaction{}, &DecodeError{Offset: off, Message: tr.Type, Reason: ErrTransactionID, Detail: fmt.Sprintf("tag 0x%02x repeated or out of order", tag)}
		}
		if l < 1 || l > 4 {
			return Transaction{}, &DecodeError{Offset: off, Message: tr.Type, Reason: ErrTransactionID, Detail: fmt.Sprintf("%d octets, want 1-4", l)}
		}
		dst.n = uint8(copy(dst.b[:], b[v:v+l]))
		off = v + l
	}
	wantO := tr.Type == Begin || tr.Type == Continue
	wantD := tr.Type == End || tr.Type == Continue || tr.Type == Abort
	if tr.OTID.Valid() != wantO || tr.DTID.Valid() != wantD {
		return Transaction{}, &DecodeError{Offset: val, Message: tr.Type, Reason: ErrTransactionID,
			Detail: fmt.Sprintf("otid present %v, dtid present %v; %v needs otid %v, dtid %v", tr.OTID.Valid(), tr.DTID.Valid(), tr.Type, wantO, wantD)}
	}
	return tr, nil
}
