package wire

// BusinessCard (ASAP 0x0d, RFC 5352 section 2.2.13): a PE tells its peer
// which pool it belongs to and which PEs to fail over to. The policy is
// what RSPLIB sends after the pool handle; it is optional on receipt.
type BusinessCard struct {
	PoolHandle   PoolHandle
	Policy       *Policy
	PoolElements []PoolElement
}

// Type returns ASAPBusinessCard.
func (*BusinessCard) Type() MessageType { return ASAPBusinessCard }

// AppendTo appends the encoded message to b.
func (m *BusinessCard) AppendTo(b []byte) ([]byte, error) {
	e := newMessageEncoder(b, ASAPBusinessCard, 0)
	e.poolHandle(m.PoolHandle)
	if m.Policy != nil {
		e.policy(m.Policy)
	}
	for i := range m.PoolElements {
		e.poolElement(&m.PoolElements[i])
	}
	return e.finish()
}

func (m *BusinessCard) decode(d *decoder, _ uint8, off, end int) error {
	var p params
	rules := paramRules{
		allowed:  bitPoolHandle | bitPolicy | bitPoolElement,
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
	return nil
}
