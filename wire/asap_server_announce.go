package wire

// ServerAnnounce (ASAP 0x0a, RFC 5352 section 2.2.10): a registrar
// announces itself (multicast UDP 239.0.0.50:3863). ServerID is its server
// identifier; Transports are where PEs and PUs reach it. With none, the
// receiver uses the UDP source address as an SCTP endpoint.
type ServerAnnounce struct {
	ServerID   uint32
	Transports []Transport
}

// Type returns ASAPServerAnnounce.
func (*ServerAnnounce) Type() MessageType { return ASAPServerAnnounce }

// AppendTo appends the encoded message to b.
func (m *ServerAnnounce) AppendTo(b []byte) ([]byte, error) {
	e := newMessageEncoder(b, ASAPServerAnnounce, 0)
	e.u32(m.ServerID)
	for i := range m.Transports {
		e.transport(&m.Transports[i])
	}
	return e.finish()
}

func (m *ServerAnnounce) decode(d *decoder, _ uint8, off, end int) error {
	if err := d.fixed(off, end, 4, "the server identifier"); err != nil {
		return err
	}
	m.ServerID = d.be32(off)
	var p params
	rules := paramRules{allowed: bitTransports, repeated: bitTransports}
	if err := d.collect(off+4, end, rules, &p); err != nil {
		return err
	}
	m.Transports = p.transports
	return nil
}
