package isup

// Calling party's category values (Q.763 3.11).
const (
	CategoryOrdinary uint8 = 0x0a // ordinary calling subscriber
	CategoryTest     uint8 = 0x0d // test call
	CategoryPayphone uint8 = 0x0f
)

// Transmission medium requirement values (Q.763 3.54).
const (
	TMRSpeech         uint8 = 0
	TMR64kUnrestrict  uint8 = 2
	TMR3k1Audio       uint8 = 3
	iamFixedLen             = 5 // NCI 1, FCI 2, CPC 1, TMR 1
	acmFixedLen             = 2 // backward call indicators
	calledPartyNumber       = "called party number"
)

// IAM is the initial address message (Q.763 table 32).
type IAM struct {
	CIC uint16
	// NatureOfConnection: satellite (bits BA), continuity check (DC),
	// echo control device (E) (Q.763 3.35).
	NatureOfConnection uint8
	// ForwardCall holds the forward call indicators, first octet in the low
	// byte: bit 0 is indicator A (national/international), bit 8 is I
	// (ISDN access) (Q.763 3.23).
	ForwardCall                   uint16
	CallingPartysCategory         uint8
	TransmissionMediumRequirement uint8
	CalledPartyNumber             CalledPartyNumber
	// CallingPartyNumber is the optional calling party number, nil if absent.
	CallingPartyNumber *CallingPartyNumber
	// Optional holds the other optional parameters in wire order.
	Optional []Parameter
}

func (*IAM) MessageType() MessageType { return MsgIAM }
func (m *IAM) CircuitID() uint16      { return m.CIC }

// AppendTo appends the encoded IAM; the calling party number goes first in
// the optional part.
func (m *IAM) AppendTo(b []byte) ([]byte, error) {
	cd, err := m.CalledPartyNumber.AppendTo(nil)
	if err != nil {
		return b, withMessage(err, MsgIAM)
	}
	opt := m.Optional
	if m.CallingPartyNumber != nil {
		cg, err := m.CallingPartyNumber.AppendTo(nil)
		if err != nil {
			return b, withMessage(err, MsgIAM)
		}
		opt = append([]Parameter{{ParamCallingPartyNumber, cg}}, m.Optional...)
	}
	fixed := []byte{m.NatureOfConnection, byte(m.ForwardCall), byte(m.ForwardCall >> 8), m.CallingPartysCategory, m.TransmissionMediumRequirement}
	return appendMessage(b, m.CIC, MsgIAM, fixed, []variable{{calledPartyNumber, cd}}, opt)
}

func decodeIAM(b []byte, cic uint16) (*IAM, error) {
	bd, err := decodeBody(b, MsgIAM, iamFixedLen, []string{calledPartyNumber})
	if err != nil {
		return nil, err
	}
	f := b[bd.fixed:]
	m := &IAM{CIC: cic, NatureOfConnection: f[0], ForwardCall: uint16(f[1]) | uint16(f[2])<<8,
		CallingPartysCategory: f[3], TransmissionMediumRequirement: f[4]}
	v := bd.vars[0]
	if m.CalledPartyNumber, err = decodeCalledPartyNumber(b[v[0]:v[0]+v[1]], v[0]-1); err != nil {
		return nil, setMessage(err, MsgIAM)
	}
	for i, p := range bd.opt {
		if p.Code == ParamCallingPartyNumber && m.CallingPartyNumber == nil {
			cg, err := decodeCallingPartyNumber(p.Value, bd.optAt[i]-1)
			if err != nil {
				return nil, setMessage(err, MsgIAM)
			}
			m.CallingPartyNumber = &cg
			continue
		}
		m.Optional = append(m.Optional, p)
	}
	return m, nil
}

// ACM is the address complete message (Q.763 table 21).
type ACM struct {
	CIC uint16
	// BackwardCall holds the backward call indicators, first octet in the
	// low byte: bits 1-0 are the charge indicator (BA) (Q.763 3.5).
	BackwardCall uint16
	Optional     []Parameter
}

func (*ACM) MessageType() MessageType { return MsgACM }
func (m *ACM) CircuitID() uint16      { return m.CIC }

// AppendTo appends the encoded ACM.
func (m *ACM) AppendTo(b []byte) ([]byte, error) {
	return appendMessage(b, m.CIC, MsgACM, []byte{byte(m.BackwardCall), byte(m.BackwardCall >> 8)}, nil, m.Optional)
}

func decodeACM(b []byte, cic uint16) (*ACM, error) {
	bd, err := decodeBody(b, MsgACM, acmFixedLen, nil)
	if err != nil {
		return nil, err
	}
	return &ACM{CIC: cic, BackwardCall: uint16(b[bd.fixed]) | uint16(b[bd.fixed+1])<<8, Optional: bd.opt}, nil
}

// ANM is the answer message (Q.763 table 22): optional part only.
type ANM struct {
	CIC      uint16
	Optional []Parameter
}

func (*ANM) MessageType() MessageType { return MsgANM }
func (m *ANM) CircuitID() uint16      { return m.CIC }

// AppendTo appends the encoded ANM.
func (m *ANM) AppendTo(b []byte) ([]byte, error) {
	return appendMessage(b, m.CIC, MsgANM, nil, nil, m.Optional)
}

func decodeANM(b []byte, cic uint16) (*ANM, error) {
	bd, err := decodeBody(b, MsgANM, 0, nil)
	if err != nil {
		return nil, err
	}
	return &ANM{CIC: cic, Optional: bd.opt}, nil
}

func withMessage(err error, t MessageType) error {
	if e, ok := err.(*EncodeError); ok {
		e.Message = t
	}
	return err
}

func setMessage(err error, t MessageType) error {
	if e, ok := err.(*DecodeError); ok {
		e.Message = t
	}
	return err
}
