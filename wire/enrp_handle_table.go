package wire

// HandleTableRequest (ENRP 0x02, RFC 5353 section 2.2.2): a registrar asks
// a peer for its handlespace. OwnChildrenOnly is the W flag: only the PEs
// the peer is home registrar of.
type HandleTableRequest struct {
	OwnChildrenOnly  bool
	SenderServerID   uint32
	ReceiverServerID uint32
}

// Type returns ENRPHandleTableRequest.
func (*HandleTableRequest) Type() MessageType { return ENRPHandleTableRequest }

// AppendTo appends the encoded message to b.
func (m *HandleTableRequest) AppendTo(b []byte) ([]byte, error) {
	e := newMessageEncoder(b, ENRPHandleTableRequest, flag(m.OwnChildrenOnly, flagOwnChildrenOnly))
	e.u32(m.SenderServerID)
	e.u32(m.ReceiverServerID)
	return e.finish()
}

func (m *HandleTableRequest) decode(d *decoder, flags uint8, off, end int) error {
	m.OwnChildrenOnly = flags&flagOwnChildrenOnly != 0
	var err error
	if m.SenderServerID, m.ReceiverServerID, err = d.serverIDs(off, end); err != nil {
		return err
	}
	var p params
	return d.collect(off+8, end, paramRules{}, &p)
}

// PoolEntry is one pool in a Handle Table Response: a pool handle followed
// by PEs of that pool.
type PoolEntry struct {
	PoolHandle   PoolHandle
	PoolElements []PoolElement
}

// HandleTableResponse (ENRP 0x03, section 2.2.3): a block of the sender's
// handlespace. Reject is the R flag; MoreToSend, the M flag, says another
// request will fetch the next block. The PEs carry their ASAP transports.
type HandleTableResponse struct {
	Reject           bool
	MoreToSend       bool
	SenderServerID   uint32
	ReceiverServerID uint32
	Entries          []PoolEntry
}

// Type returns ENRPHandleTableResponse.
func (*HandleTableResponse) Type() MessageType { return ENRPHandleTableResponse }

// AppendTo appends the encoded message to b.
func (m *HandleTableResponse) AppendTo(b []byte) ([]byte, error) {
	e := newMessageEncoder(b, ENRPHandleTableResponse, flag(m.Reject, flagReject)|flag(m.MoreToSend, flagMoreToSend))
	e.u32(m.SenderServerID)
	e.u32(m.ReceiverServerID)
	for i := range m.Entries {
		e.poolHandle(m.Entries[i].PoolHandle)
		for j := range m.Entries[i].PoolElements {
			e.poolElement(&m.Entries[i].PoolElements[j])
		}
	}
	return e.finish()
}

func (m *HandleTableResponse) decode(d *decoder, flags uint8, off, end int) error {
	m.Reject = flags&flagReject != 0
	m.MoreToSend = flags&flagMoreToSend != 0
	var err error
	if m.SenderServerID, m.ReceiverServerID, err = d.serverIDs(off, end); err != nil {
		return err
	}
	off += 8
	if n := d.countTLVs(off, end, ParamPoolHandle, ParamPoolHandle); n > 0 {
		m.Entries = make([]PoolEntry, 0, n)
	}
	for off < end {
		t, err := d.readTLV(off, end, 0, false)
		if err != nil {
			return err
		}
		switch t.typ {
		case ParamPoolHandle:
			m.Entries = append(m.Entries, PoolEntry{PoolHandle: d.poolHandle(t)})
			if n := d.countRun(t.next, end); n > 0 {
				m.Entries[len(m.Entries)-1].PoolElements = make([]PoolElement, 0, n)
			}
		case ParamPoolElement:
			if len(m.Entries) == 0 {
				return d.fail(t.off, t.typ, ErrUnexpectedParameter, "pool element before any pool handle")
			}
			e := &m.Entries[len(m.Entries)-1]
			e.PoolElements = append(e.PoolElements, PoolElement{})
			if err := d.poolElement(t, &e.PoolElements[len(e.PoolElements)-1]); err != nil {
				return err
			}
		default:
			if err := d.other(t, 0); err != nil {
				return err
			}
		}
		off = t.next
	}
	return nil
}

// countRun counts the pool elements from off up to the next pool handle.
func (d *decoder) countRun(off, end int) int {
	n := 0
	for end-off >= paramHeaderLen {
		t := ParamType(d.be16(off))
		l := int(d.be16(off + 2))
		if l < paramHeaderLen || t == ParamPoolHandle {
			break
		}
		if t == ParamPoolElement {
			n++
		}
		off += pad4(l)
	}
	return n
}
