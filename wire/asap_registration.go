package wire

// Registration (ASAP 0x01, RFC 5352 section 2.2.1): a PE registers, or
// re-registers, under a pool handle. A PE that carries an ASAP transport
// decodes; refusing it (as RSPLIB does) is the registrar's decision.
type Registration struct {
	PoolHandle  PoolHandle
	PoolElement PoolElement
}

// Type returns ASAPRegistration.
func (*Registration) Type() MessageType { return ASAPRegistration }

// AppendTo appends the encoded message to b.
func (m *Registration) AppendTo(b []byte) ([]byte, error) {
	e := newMessageEncoder(b, ASAPRegistration, 0)
	e.poolHandle(m.PoolHandle)
	e.poolElement(&m.PoolElement)
	return e.finish()
}

func (m *Registration) decode(d *decoder, _ uint8, off, end int) error {
	var p params
	const bits = bitPoolHandle | bitPoolElement
	if err := d.collect(off, end, paramRules{allowed: bits, required: bits}, &p); err != nil {
		return err
	}
	m.PoolHandle, m.PoolElement = p.handle, p.element
	return nil
}

// Deregistration (ASAP 0x02, section 2.2.2): a PE leaves its pool.
type Deregistration struct {
	PoolHandle   PoolHandle
	PEIdentifier PEIdentifier
}

// Type returns ASAPDeregistration.
func (*Deregistration) Type() MessageType { return ASAPDeregistration }

// AppendTo appends the encoded message to b.
func (m *Deregistration) AppendTo(b []byte) ([]byte, error) {
	return appendHandleAndID(b, ASAPDeregistration, m.PoolHandle, m.PEIdentifier)
}

func (m *Deregistration) decode(d *decoder, _ uint8, off, end int) (err error) {
	m.PoolHandle, m.PEIdentifier, err = d.handleAndID(off, end)
	return err
}

// RegistrationResponse (ASAP 0x03, section 2.2.3): the registrar's answer
// to a Registration. Reject is the R flag; a rejection carries the reason
// in Error.
type RegistrationResponse struct {
	Reject       bool
	PoolHandle   PoolHandle
	PEIdentifier PEIdentifier
	Error        *OperationError
}

// Type returns ASAPRegistrationResponse.
func (*RegistrationResponse) Type() MessageType { return ASAPRegistrationResponse }

// AppendTo appends the encoded message to b.
func (m *RegistrationResponse) AppendTo(b []byte) ([]byte, error) {
	e := newMessageEncoder(b, ASAPRegistrationResponse, flag(m.Reject, flagReject))
	e.poolHandle(m.PoolHandle)
	e.peIdentifier(m.PEIdentifier)
	if m.Error != nil {
		e.operationError(m.Error)
	}
	return e.finish()
}

func (m *RegistrationResponse) decode(d *decoder, flags uint8, off, end int) error {
	m.Reject = flags&flagReject != 0
	var p params
	rules := paramRules{allowed: bitPoolHandle | bitPEIdentifier | bitOperationError, required: bitPoolHandle | bitPEIdentifier}
	if err := d.collect(off, end, rules, &p); err != nil {
		return err
	}
	m.PoolHandle, m.PEIdentifier = p.handle, p.peID
	if p.has(bitOperationError) {
		oe := p.opErr
		m.Error = &oe
	}
	return nil
}

// DeregistrationResponse (ASAP 0x04, section 2.2.4): the registrar's answer
// to a Deregistration, with an Operation Error if it failed.
type DeregistrationResponse struct {
	PoolHandle   PoolHandle
	PEIdentifier PEIdentifier
	Error        *OperationError
}

// Type returns ASAPDeregistrationResponse.
func (*DeregistrationResponse) Type() MessageType { return ASAPDeregistrationResponse }

// AppendTo appends the encoded message to b.
func (m *DeregistrationResponse) AppendTo(b []byte) ([]byte, error) {
	e := newMessageEncoder(b, ASAPDeregistrationResponse, 0)
	e.poolHandle(m.PoolHandle)
	e.peIdentifier(m.PEIdentifier)
	if m.Error != nil {
		e.operationError(m.Error)
	}
	return e.finish()
}

func (m *DeregistrationResponse) decode(d *decoder, _ uint8, off, end int) error {
	var p params
	rules := paramRules{allowed: bitPoolHandle | bitPEIdentifier | bitOperationError, required: bitPoolHandle | bitPEIdentifier}
	if err := d.collect(off, end, rules, &p); err != nil {
		return err
	}
	m.PoolHandle, m.PEIdentifier = p.handle, p.peID
	if p.has(bitOperationError) {
		oe := p.opErr
		m.Error = &oe
	}
	return nil
}

// appendHandleAndID encodes the messages whose body is just a Pool Handle
// and a PE Identifier: Deregistration, Endpoint Keep-Alive Ack and Endpoint
// Unreachable.
func appendHandleAndID(b []byte, t MessageType, h PoolHandle, id PEIdentifier) ([]byte, error) {
	e := newMessageEncoder(b, t, 0)
	e.poolHandle(h)
	e.peIdentifier(id)
	return e.finish()
}

// handleAndID decodes the body appendHandleAndID encodes; both parameters
// are mandatory.
func (d *decoder) handleAndID(off, end int) (PoolHandle, PEIdentifier, error) {
	var p params
	const bits = bitPoolHandle | bitPEIdentifier
	if err := d.collect(off, end, paramRules{allowed: bits, required: bits}, &p); err != nil {
		return nil, 0, err
	}
	return p.handle, p.peID, nil
}
