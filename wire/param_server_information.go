package wire

import "fmt"

// ServerInformation is the Server Information parameter (RFC 5354, section
// 3.11): a registrar's server identifier and the transport its peers reach
// it at (SCTP in RFC 5353; any transport kind is accepted).
type ServerInformation struct {
	ServerID  uint32
	Transport Transport
}

// ParamType returns ParamServerInformation.
func (ServerInformation) ParamType() ParamType { return ParamServerInformation }

// AppendTo appends the server information parameter.
func (si ServerInformation) AppendTo(b []byte) ([]byte, error) {
	e := paramEncoder(b)
	e.serverInformation(&si)
	return e.result()
}

func (si ServerInformation) String() string {
	return fmt.Sprintf("server $%08x %s", si.ServerID, si.Transport)
}

func (e *encoder) serverInformation(si *ServerInformation) {
	s := e.begin(ParamServerInformation)
	e.u32(si.ServerID)
	e.transport(&si.Transport)
	e.end(s, ParamServerInformation)
}

func (d *decoder) serverInformation(t tlv, si *ServerInformation) error {
	if t.end-t.val < 4 {
		return d.fail(t.off, t.typ, ErrLength, "value is %d bytes, need at least 4", t.end-t.val)
	}
	si.ServerID = d.be32(t.val)
	have := false
	for off := t.val + 4; off < t.end; {
		p, err := d.readTLV(off, t.end, t.typ, true)
		if err != nil {
			return err
		}
		switch {
		case isTransport(p.typ) && !have:
			err = d.transport(p, &si.Transport)
			have = true
		case isTransport(p.typ):
			err = d.fail(p.off, p.typ, ErrDuplicateParameter, "server information carries a second transport")
		default:
			err = d.other(p, ParamServerInformation)
		}
		if err != nil {
			return err
		}
		off = p.next
	}
	if !have {
		return d.fail(t.off, t.typ, ErrMissingParameter, "server information has no transport")
	}
	return nil
}
