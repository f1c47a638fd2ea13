package wire

// The takeover messages (RFC 5353, sections 2.2.7-2.2.9) carry, after the
// sender and receiver, the Target Server ID: the registrar being taken over.

func (d *decoder) takeover(off, end int) (sender, receiver, target uint32, err error) {
	if err := d.fixed(off, end, 12, "the sender, receiver and target server identifiers"); err != nil {
		return 0, 0, 0, err
	}
	var p params
	if err := d.collect(off+12, end, paramRules{}, &p); err != nil {
		return 0, 0, 0, err
	}
	return d.be32(off), d.be32(off + 4), d.be32(off + 8), nil
}

func appendTakeover(b []byte, t MessageType, sender, receiver, target uint32) ([]byte, error) {
	e := newMessageEncoder(b, t, 0)
	e.u32(sender)
	e.u32(receiver)
	e.u32(target)
	return e.finish()
}

// InitTakeover (ENRP 0x07): the sender starts taking over the target's PEs.
type InitTakeover struct {
	SenderServerID   uint32
	ReceiverServerID uint32
	TargetServerID   uint32
}

// Type returns ENRPInitTakeover.
func (*InitTakeover) Type() MessageType { return ENRPInitTakeover }

// AppendTo appends the encoded message to b.
func (m *InitTakeover) AppendTo(b []byte) ([]byte, error) {
	return appendTakeover(b, ENRPInitTakeover, m.SenderServerID, m.ReceiverServerID, m.TargetServerID)
}

func (m *InitTakeover) decode(d *decoder, _ uint8, off, end int) (err error) {
	m.SenderServerID, m.ReceiverServerID, m.TargetServerID, err = d.takeover(off, end)
	return err
}

// InitTakeoverAck (ENRP 0x08): a peer agrees to the takeover.
type InitTakeoverAck struct {
	SenderServerID   uint32
	ReceiverServerID uint32
	TargetServerID   uint32
}

// Type returns ENRPInitTakeoverAck.
func (*InitTakeoverAck) Type() MessageType { return ENRPInitTakeoverAck }

// AppendTo appends the encoded message to b.
func (m *InitTakeoverAck) AppendTo(b []byte) ([]byte, error) {
	return appendTakeover(b, ENRPInitTakeoverAck, m.SenderServerID, m.ReceiverServerID, m.TargetServerID)
}

func (m *InitTakeoverAck) decode(d *decoder, _ uint8, off, end int) (err error) {
	m.SenderServerID, m.ReceiverServerID, m.TargetServerID, err = d.takeover(off, end)
	return err
}

// TakeoverServer (ENRP 0x09): the sender now owns the target's PEs.
type TakeoverServer struct {
	SenderServerID   uint32
	ReceiverServerID uint32
	TargetServerID   uint32
}

// Type returns ENRPTakeoverServer.
func (*TakeoverServer) Type() MessageType { return ENRPTakeoverServer }

// AppendTo appends the encoded message to b.
func (m *TakeoverServer) AppendTo(b []byte) ([]byte, error) {
	return appendTakeover(b, ENRPTakeoverServer, m.SenderServerID, m.ReceiverServerID, m.TargetServerID)
}

func (m *TakeoverServer) decode(d *decoder, _ uint8, off, end int) (err error) {
	m.SenderServerID, m.ReceiverServerID, m.TargetServerID, err = d.takeover(off, end)
	return err
}
