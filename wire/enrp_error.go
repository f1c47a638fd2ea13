package wire

// ENRPErrorMessage (ENRP Error, 0x0a, RFC 5353 section 2.2.10) reports
// errors back to a peer registrar.
type ENRPErrorMessage struct {
	SenderServerID   uint32
	ReceiverServerID uint32
	Error            OperationError
}

// Type returns ENRPError.
func (*ENRPErrorMessage) Type() MessageType { return ENRPError }

// AppendTo appends the encoded message to b.
func (m *ENRPErrorMessage) AppendTo(b []byte) ([]byte, error) {
	e := newMessageEncoder(b, ENRPError, 0)
	e.u32(m.SenderServerID)
	e.u32(m.ReceiverServerID)
	e.operationError(&m.Error)
	return e.finish()
}

func (m *ENRPErrorMessage) decode(d *decoder, _ uint8, off, end int) error {
	var err error
	if m.SenderServerID, m.ReceiverServerID, err = d.serverIDs(off, end); err != nil {
		return err
	}
	var p params
	rules := paramRules{allowed: bitOperationError, required: bitOperationError}
	if err := d.collect(off+8, end, rules, &p); err != nil {
		return err
	}
	m.Error = p.opErr
	return nil
}
