package wire

import "fmt"

// UpdateAction is the action of a Handle Update.
type UpdateAction uint16

// Update actions of RFC 5353, section 2.2.4.
const (
	UpdateActionAddPE    UpdateAction = 0
	UpdateActionDeletePE UpdateAction = 1
)

func (a UpdateAction) String() string {
	switch a {
	case UpdateActionAddPE:
		return "add PE"
	case UpdateActionDeletePE:
		return "delete PE"
	}
	return fmt.Sprintf("update action %d", uint16(a))
}

// HandleUpdate (ENRP 0x04, RFC 5353 section 2.2.4): a home registrar tells
// its peers a PE was added (or re-registered) or deleted. The PE carries
// its ASAP transport. TakeoverSuggested is the T flag of RSPLIB's
// draft-dreibholz-rserpool-enrp-takeover: the sender is overloaded and a
// peer may take the PE over.
type HandleUpdate struct {
	TakeoverSuggested bool
	SenderServerID    uint32
	ReceiverServerID  uint32
	Action            UpdateAction
	PoolHandle        PoolHandle
	PoolElement       PoolElement
}

// Type returns ENRPHandleUpdate.
func (*HandleUpdate) Type() MessageType { return ENRPHandleUpdate }

// AppendTo appends the encoded message to b.
func (m *HandleUpdate) AppendTo(b []byte) ([]byte, error) {
	e := newMessageEncoder(b, ENRPHandleUpdate, flag(m.TakeoverSuggested, flagTakeover))
	if m.Action > UpdateActionDeletePE {
		e.fail(0, ErrInvalidValue, "%s", m.Action)
	}
	e.u32(m.SenderServerID)
	e.u32(m.ReceiverServerID)
	e.u16(uint16(m.Action))
	e.u16(0) // reserved
	e.poolHandle(m.PoolHandle)
	e.poolElement(&m.PoolElement)
	return e.finish()
}

func (m *HandleUpdate) decode(d *decoder, flags uint8, off, end int) error {
	m.TakeoverSuggested = flags&flagTakeover != 0
	var err error
	if m.SenderServerID, m.ReceiverServerID, err = d.serverIDs(off, end); err != nil {
		return err
	}
	if err := d.fixed(off+8, end, 4, "the update action"); err != nil {
		return err
	}
	m.Action = UpdateAction(d.be16(off + 8))
	if m.Action > UpdateActionDeletePE {
		return d.fail(off+8, 0, ErrInvalidValue, "%s", m.Action)
	}
	var p params
	const bits = bitPoolHandle | bitPoolElement
	if err := d.collect(off+12, end, paramRules{allowed: bits, required: bits}, &p); err != nil {
		return err
	}
	m.PoolHandle, m.PoolElement = p.handle, p.element
	return nil
}
