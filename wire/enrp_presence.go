package wire

// serverIDs reads the Sender and Receiver Server IDs that follow the header
// of every ENRP message (RFC 5353, section 2).
func (d *decoder) serverIDs(off, end int) (sender, receiver uint32, err error) {
	if err := d.fixed(off, end, 8, "the sender and receiver server identifiers"); err != nil {
		return 0, 0, err
	}
	return d.be32(off), d.be32(off + 4), nil
}

// Presence (ENRP 0x01, RFC 5353 section 2.2.1): a registrar's heartbeat to
// its peers, with the checksum of the PEs it owns. ReplyRequired is the R
// flag. RSPLIB always sends ServerInformation; it is optional on receipt.
type Presence struct {
	ReplyRequired     bool
	SenderServerID    uint32
	ReceiverServerID  uint32
	PEChecksum        PEChecksum
	ServerInformation *ServerInformation
}

// Type returns ENRPPresence.
func (*Presence) Type() MessageType { return ENRPPresence }

// AppendTo appends the encoded message to b.
func (m *Presence) AppendTo(b []byte) ([]byte, error) {
	e := newMessageEncoder(b, ENRPPresence, flag(m.ReplyRequired, flagReplyRequired))
	e.u32(m.SenderServerID)
	e.u32(m.ReceiverServerID)
	e.peChecksum(m.PEChecksum)
	if m.ServerInformation != nil {
		e.serverInformation(m.ServerInformation)
	}
	return e.finish()
}

func (m *Presence) decode(d *decoder, flags uint8, off, end int) error {
	m.ReplyRequired = flags&flagReplyRequired != 0
	var err error
	if m.SenderServerID, m.ReceiverServerID, err = d.serverIDs(off, end); err != nil {
		return err
	}
	var p params
	rules := paramRules{allowed: bitPEChecksum | bitServerInformation, required: bitPEChecksum}
	if err := d.collect(off+8, end, rules, &p); err != nil {
		return err
	}
	m.PEChecksum = p.checksum
	if p.has(bitServerInformation) {
		si := p.server
		m.ServerInformation = &si
	}
	return nil
}
