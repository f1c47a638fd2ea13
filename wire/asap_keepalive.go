package wire

// EndpointKeepAlive (ASAP 0x07, RFC 5352 section 2.2.7): a registrar checks
// that a PE is alive. Home is the H flag: the sender is (now) the PE's home
// registrar, as after a takeover. ServerID is the sender's server
// identifier. PEIdentifier is RSPLIB's addition naming the PE probed; nil
// when absent.
type EndpointKeepAlive struct {
	Home         bool
	ServerID     uint32
	PoolHandle   PoolHandle
	PEIdentifier *PEIdentifier
}

// Type returns ASAPEndpointKeepAlive.
func (*EndpointKeepAlive) Type() MessageType { return ASAPEndpointKeepAlive }

// AppendTo appends the encoded message to b.
func (m *EndpointKeepAlive) AppendTo(b []byte) ([]byte, error) {
	e := newMessageEncoder(b, ASAPEndpointKeepAlive, flag(m.Home, flagHome))
	e.u32(m.ServerID)
	e.poolHandle(m.PoolHandle)
	if m.PEIdentifier != nil {
		e.peIdentifier(*m.PEIdentifier)
	}
	return e.finish()
}

func (m *EndpointKeepAlive) decode(d *decoder, flags uint8, off, end int) error {
	m.Home = flags&flagHome != 0
	if err := d.fixed(off, end, 4, "the server identifier"); err != nil {
		return err
	}
	m.ServerID = d.be32(off)
	var p params
	rules := paramRules{allowed: bitPoolHandle | bitPEIdentifier, required: bitPoolHandle}
	if err := d.collect(off+4, end, rules, &p); err != nil {
		return err
	}
	m.PoolHandle = p.handle
	if p.has(bitPEIdentifier) {
		id := p.peID
		m.PEIdentifier = &id
	}
	return nil
}

// EndpointKeepAliveAck (ASAP 0x08, section 2.2.8): the PE's answer.
type EndpointKeepAliveAck struct {
	PoolHandle   PoolHandle
	PEIdentifier PEIdentifier
}

// Type returns ASAPEndpointKeepAliveAck.
func (*EndpointKeepAliveAck) Type() MessageType { return ASAPEndpointKeepAliveAck }

// AppendTo appends the encoded message to b.
func (m *EndpointKeepAliveAck) AppendTo(b []byte) ([]byte, error) {
	return appendHandleAndID(b, ASAPEndpointKeepAliveAck, m.PoolHandle, m.PEIdentifier)
}

func (m *EndpointKeepAliveAck) decode(d *decoder, _ uint8, off, end int) (err error) {
	m.PoolHandle, m.PEIdentifier, err = d.handleAndID(off, end)
	return err
}

// EndpointUnreachable (ASAP 0x09, section 2.2.9): a PU reports a PE it
// could not reach.
type EndpointUnreachable struct {
	PoolHandle   PoolHandle
	PEIdentifier PEIdentifier
}

// Type returns ASAPEndpointUnreachable.
func (*EndpointUnreachable) Type() MessageType { return ASAPEndpointUnreachable }

// AppendTo appends the encoded message to b.
func (m *EndpointUnreachable) AppendTo(b []byte) ([]byte, error) {
	return appendHandleAndID(b, ASAPEndpointUnreachable, m.PoolHandle, m.PEIdentifier)
}

func (m *EndpointUnreachable) decode(d *decoder, _ uint8, off, end int) (err error) {
	m.PoolHandle, m.PEIdentifier, err = d.handleAndID(off, end)
	return err
}
