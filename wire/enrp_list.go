package wire

// ListRequest (ENRP 0x05, RFC 5353 section 2.2.5): a registrar asks a peer
// for the registrars it knows.
type ListRequest struct {
	SenderServerID   uint32
	ReceiverServerID uint32
}

// Type returns ENRPListRequest.
func (*ListRequest) Type() MessageType { return ENRPListRequest }

// AppendTo appends the encoded message to b.
func (m *ListRequest) AppendTo(b []byte) ([]byte, error) {
	e := newMessageEncoder(b, ENRPListRequest, 0)
	e.u32(m.SenderServerID)
	e.u32(m.ReceiverServerID)
	return e.finish()
}

func (m *ListRequest) decode(d *decoder, _ uint8, off, end int) error {
	var err error
	if m.SenderServerID, m.ReceiverServerID, err = d.serverIDs(off, end); err != nil {
		return err
	}
	var p params
	return d.collect(off+8, end, paramRules{}, &p)
}

// ListResponse (ENRP 0x06, section 2.2.6): the registrars the sender knows.
// Reject is the R flag.
type ListResponse struct {
	Reject           bool
	SenderServerID   uint32
	ReceiverServerID uint32
	Servers          []ServerInformation
}

// Type returns ENRPListResponse.
func (*ListResponse) Type() MessageType { return ENRPListResponse }

// AppendTo appends the encoded message to b.
func (m *ListResponse) AppendTo(b []byte) ([]byte, error) {
	e := newMessageEncoder(b, ENRPListResponse, flag(m.Reject, flagReject))
	e.u32(m.SenderServerID)
	e.u32(m.ReceiverServerID)
	for i := range m.Servers {
		e.serverInformation(&m.Servers[i])
	}
	return e.finish()
}

func (m *ListResponse) decode(d *decoder, flags uint8, off, end int) error {
	m.Reject = flags&flagReject != 0
	var err error
	if m.SenderServerID, m.ReceiverServerID, err = d.serverIDs(off, end); err != nil {
		return err
	}
	var p params
	rules := paramRules{allowed: bitServerInformation, repeated: bitServerInformation}
	if err := d.collect(off+8, end, rules, &p); err != nil {
		return err
	}
	m.Servers = p.servers
	return nil
}
