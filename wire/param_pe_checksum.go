package wire

import "fmt"

// PEChecksum is the PE Checksum parameter (RFC 5354, section 3.14): the
// 16-bit checksum of the PEs a registrar owns, carried in ENRP Presence.
// The parameter length is 6; two bytes of padding follow.
type PEChecksum uint16

// ParamType returns ParamPEChecksum.
func (PEChecksum) ParamType() ParamType { return ParamPEChecksum }

// AppendTo appends the PE checksum parameter.
func (c PEChecksum) AppendTo(b []byte) ([]byte, error) {
	e := paramEncoder(b)
	e.peChecksum(c)
	return e.result()
}

func (c PEChecksum) String() string { return fmt.Sprintf("0x%04x", uint16(c)) }

func (e *encoder) peChecksum(c PEChecksum) {
	e.b = append(e.b, 0, byte(ParamPEChecksum), 0, 6, byte(c>>8), byte(c), 0, 0)
}

func (d *decoder) peChecksum(t tlv) (PEChecksum, error) {
	if t.end-t.val != 2 {
		return 0, d.fail(t.off, t.typ, ErrLength, "value is %d bytes, want 2", t.end-t.val)
	}
	return PEChecksum(d.be16(t.val)), nil
}
