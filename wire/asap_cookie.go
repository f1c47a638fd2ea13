package wire

// CookieMessage (ASAP Cookie, 0x0b, RFC 5352 section 2.2.11): a PE hands
// its PU state to echo after a failover. (The Cookie name is the parameter.)
type CookieMessage struct {
	Cookie Cookie
}

// Type returns ASAPCookie.
func (*CookieMessage) Type() MessageType { return ASAPCookie }

// AppendTo appends the encoded message to b.
func (m *CookieMessage) AppendTo(b []byte) ([]byte, error) {
	e := newMessageEncoder(b, ASAPCookie, 0)
	e.cookie(m.Cookie)
	return e.finish()
}

func (m *CookieMessage) decode(d *decoder, _ uint8, off, end int) error {
	var p params
	if err := d.collect(off, end, paramRules{allowed: bitCookie, required: bitCookie}, &p); err != nil {
		return err
	}
	m.Cookie = p.cookie
	return nil
}

// CookieEcho (ASAP 0x0c, section 2.2.12): a PU echoes the last cookie to
// the PE it failed over to.
type CookieEcho struct {
	Cookie Cookie
}

// Type returns ASAPCookieEcho.
func (*CookieEcho) Type() MessageType { return ASAPCookieEcho }

// AppendTo appends the encoded message to b.
func (m *CookieEcho) AppendTo(b []byte) ([]byte, error) {
	e := newMessageEncoder(b, ASAPCookieEcho, 0)
	e.cookie(m.Cookie)
	return e.finish()
}

func (m *CookieEcho) decode(d *decoder, _ uint8, off, end int) error {
	var p params
	if err := d.collect(off, end, paramRules{allowed: bitCookie, required: bitCookie}, &p); err != nil {
		return err
	}
	m.Cookie = p.cookie
	return nil
}
