package wire

// HandleResolution (ASAP 0x05, RFC 5352 section 2.2.5): a PU asks for the
// PEs of a pool. Option is RSPLIB's Handle Resolution Option (how many PEs
// the PU wants); nil leaves the number to the registrar.
type HandleResolution struct {
	PoolHandle PoolHandle
	Option     *HandleResolutionOption
}

// Type returns ASAPHandleResolution.
func (*HandleResolution) Type() MessageType { return ASAPHandleResolution }

// AppendTo appends the encoded message to b.
func (m *HandleResolution) AppendTo(b []byte) ([]byte, error) {
	e := newMessageEncoder(b, ASAPHandleResolution, 0)
	e.poolHandle(m.PoolHandle)
	if m.Option != nil {
		e.handleResolutionOption(*m.Option)
	}
	return e.finish()
}

func (m *HandleResolution) decode(d *decoder, _ uint8, off, end int) error {
	var p params
	rules := paramRules{allowed: bitPoolHandle | bitHandleResolutionOption, required: bitPoolHandle}
	if err := d.collect(off, end, rules, &p); err != nil {
		return err
	}
	m.PoolHandle = p.handle
	if p.has(bitHandleResolutionOption) {
		o := p.option
		m.Option = &o
	}
	return nil
}

// HandleResolutionResponse (ASAP 0x06, section 2.2.6): the registrar's
// answer: the pool's overall selection policy and some of its PEs, or an
// Operation Error (typically "unknown pool handle").
type HandleResolutionResponse struct {
	PoolHandle   PoolHandle
	Policy       *Policy
	PoolElements []PoolElement
	Error        *OperationError
}

// Type returns ASAPHandleResolutionResponse.
func (*HandleResolutionResponse) Type() MessageType { return ASAPHandleResolutionResponse }

// AppendTo appends the encoded message to b.
func (m *HandleResolutionResponse) AppendTo(b []byte) ([]byte, error) {
	e := newMessageEncoder(b, ASAPHandleResolutionResponse, 0)
	e.poolHandle(m.PoolHandle)
	if m.Policy != nil {
		e.policy(m.Policy)
	}
	for i := range m.PoolElements {
		e.poolElement(&m.PoolElements[i])
	}
	if m.Error != nil {
		e.operationError(m.Error)
	}
	return e.finish()
}

func (m *HandleResolutionResponse) decode(d *decoder, _ uint8, off, end int) error {
	var p params
	rules := paramRules{
		allowed:  bitPoolHandle | bitPolicy | bitPoolElement | bitOperationError,
		repeated: bitPoolElement,
		required: bitPoolHandle,
	}
	if err := d.collect(off, end, rules, &p); err != nil {
		return err
	}
	m.PoolHandle, m.PoolElements = p.handle, p.elements
	if p.has(bitPolicy) {
		pol := p.policy
		m.Policy = &pol
	}
	if p.has(bitOperationError) {
		oe := p.opErr
		m.Error = &oe
	}
	return nil
}
