package wire

// Cookie is the Cookie parameter (RFC 5354, section 3.12): state a PE hands
// its PU in an ASAP Cookie and the PU echoes to a new PE after failover.
// It is opaque to everyone but the PE.
type Cookie []byte

// ParamType returns ParamCookie.
func (Cookie) ParamType() ParamType { return ParamCookie }

// AppendTo appends the cookie parameter.
func (c Cookie) AppendTo(b []byte) ([]byte, error) {
	e := paramEncoder(b)
	e.cookie(c)
	return e.result()
}

func (e *encoder) cookie(c Cookie) {
	s := e.begin(ParamCookie)
	e.b = append(e.b, c...)
	e.end(s, ParamCookie)
}

func (d *decoder) cookie(t tlv) Cookie {
	return Cookie(cloneBytes(d.b[t.val:t.end]))
}
