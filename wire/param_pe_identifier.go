package wire

import "fmt"

// PEIdentifier is a pool element identifier, and the PE Identifier
// parameter (RFC 5354, section 3.13).
type PEIdentifier uint32

// ParamType returns ParamPEIdentifier.
func (PEIdentifier) ParamType() ParamType { return ParamPEIdentifier }

// AppendTo appends the PE identifier parameter.
func (id PEIdentifier) AppendTo(b []byte) ([]byte, error) {
	e := paramEncoder(b)
	e.peIdentifier(id)
	return e.result()
}

func (id PEIdentifier) String() string { return fmt.Sprintf("$%08x", uint32(id)) }

func (e *encoder) peIdentifier(id PEIdentifier) {
	e.b = append(e.b, 0, byte(ParamPEIdentifier), 0, 8)
	e.u32(uint32(id))
}

func (d *decoder) peIdentifier(t tlv) (PEIdentifier, error) {
	if t.end-t.val != 4 {
		return 0, d.fail(t.off, t.typ, ErrLength, "value is %d bytes, want 4", t.end-t.val)
	}
	return PEIdentifier(d.be32(t.val)), nil
}
