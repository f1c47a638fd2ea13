package wire

import "fmt"

// PoolElement is the Pool Element parameter (RFC 5354, section 3.10).
//
// ASAPTransport, the transport the PE registered over, is present only in
// ENRP messages (Handle Update, Handle Table Response); ASAP messages leave
// it nil.
type PoolElement struct {
	Identifier       PEIdentifier
	HomeRegistrar    uint32 // server identifier of the PE's home ENRP server
	RegistrationLife uint32 // milliseconds
	UserTransport    Transport
	Policy           Policy
	ASAPTransport    *Transport
}

// ParamType returns ParamPoolElement.
func (PoolElement) ParamType() ParamType { return ParamPoolElement }

// AppendTo appends the pool element parameter.
func (pe PoolElement) AppendTo(b []byte) ([]byte, error) {
	e := paramEncoder(b)
	e.poolElement(&pe)
	return e.result()
}

func (pe PoolElement) String() string {
	s := fmt.Sprintf("PE %s home $%08x life %dms %s %s", pe.Identifier, pe.HomeRegistrar, pe.RegistrationLife, pe.UserTransport, pe.Policy)
	if pe.ASAPTransport != nil {
		s += " asap " + pe.ASAPTransport.String()
	}
	return s
}

func (e *encoder) poolElement(pe *PoolElement) {
	if pe.UserTransport.Kind == 0 {
		e.fail(ParamPoolElement, ErrMissingParameter, "pool element has no user transport")
		return
	}
	s := e.begin(ParamPoolElement)
	e.u32(uint32(pe.Identifier))
	e.u32(pe.HomeRegistrar)
	e.u32(pe.RegistrationLife)
	e.transport(&pe.UserTransport)
	e.policy(&pe.Policy)
	if pe.ASAPTransport != nil {
		e.transport(pe.ASAPTransport)
	}
	e.end(s, ParamPoolElement)
}

// poolElement decodes the fixed fields, then a transport (the user
// transport), the policy, and an optional second transport (the ASAP
// transport), in any order.
func (d *decoder) poolElement(t tlv, pe *PoolElement) error {
	if t.end-t.val < 12 {
		return d.fail(t.off, t.typ, ErrLength, "value is %d bytes, need at least 12", t.end-t.val)
	}
	pe.Identifier = PEIdentifier(d.be32(t.val))
	pe.HomeRegistrar = d.be32(t.val + 4)
	pe.RegistrationLife = d.be32(t.val + 8)
	var haveUser, havePolicy bool
	for off := t.val + 12; off < t.end; {
		p, err := d.readTLV(off, t.end, t.typ, true)
		if err != nil {
			return err
		}
		switch {
		case isTransport(p.typ) && !haveUser:
			err = d.transport(p, &pe.UserTransport)
			haveUser = true
		case isTransport(p.typ) && pe.ASAPTransport == nil:
			pe.ASAPTransport = new(Transport)
			err = d.transport(p, pe.ASAPTransport)
		case isTransport(p.typ):
			err = d.fail(p.off, p.typ, ErrDuplicateParameter, "pool element carries a third transport")
		case p.typ == ParamPoolMemberSelectionPolicy && !havePolicy:
			err = d.policy(p, &pe.Policy)
			havePolicy = true
		case p.typ == ParamPoolMemberSelectionPolicy:
			err = d.fail(p.off, p.typ, ErrDuplicateParameter, "pool element carries a second policy")
		default:
			err = d.other(p, ParamPoolElement)
		}
		if err != nil {
			return err
		}
		off = p.next
	}
	switch {
	case !haveUser:
		return d.fail(t.off, ParamPoolElement, ErrMissingParameter, "pool element has no user transport")
	case !havePolicy:
		return d.fail(t.off, ParamPoolElement, ErrMissingParameter, "pool element has no Pool Member Selection Policy")
	}
	return nil
}
