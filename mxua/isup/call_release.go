package isup

const causeIndicators = "cause indicators"

// REL is the release message (Q.763 table 26).
type REL struct {
	CIC      uint16
	Cause    CauseIndicators
	Optional []Parameter
}

func (*REL) MessageType() MessageType { return MsgREL }
func (m *REL) CircuitID() uint16      { return m.CIC }

// AppendTo appends the encoded REL.
func (m *REL) AppendTo(b []byte) ([]byte, error) {
	c, err := m.Cause.AppendTo(nil)
	if err != nil {
		return b, withMessage(err, MsgREL)
	}
	return appendMessage(b, m.CIC, MsgREL, nil, []variable{{causeIndicators, c}}, m.Optional)
}

func decodeREL(b []byte, cic uint16) (*REL, error) {
	bd, err := decodeBody(b, MsgREL, 0, []string{causeIndicators})
	if err != nil {
		return nil, err
	}
	v := bd.vars[0]
	c, err := decodeCauseIndicators(b[v[0]:v[0]+v[1]], v[0]-1)
	if err != nil {
		return nil, setMessage(err, MsgREL)
	}
	return &REL{CIC: cic, Cause: c, Optional: bd.opt}, nil
}

// RLC is the release complete message (Q.763 table 27).
type RLC struct {
	CIC      uint16
	Optional []Parameter
}

func (*RLC) MessageType() MessageType { return MsgRLC }
func (m *RLC) CircuitID() uint16      { return m.CIC }

// AppendTo appends the encoded RLC.
func (m *RLC) AppendTo(b []byte) ([]byte, error) {
	return appendMessage(b, m.CIC, MsgRLC, nil, nil, m.Optional)
}

func decodeRLC(b []byte, cic uint16) (*RLC, error) {
	bd, err := decodeBody(b, MsgRLC, 0, nil)
	if err != nil {
		return nil, err
	}
	return &RLC{CIC: cic, Optional: bd.opt}, nil
}
