package wire

// AllItems asks a registrar for every PE of the pool.
const AllItems = 0xffffffff

// HandleResolutionOption is the Handle Resolution Option (0x803f) of
// draft-dreibholz-rserpool-asap-hropt, which RSPLIB PUs send in Handle
// Resolution: how many PEs the PU wants. Its type has the "skip" action
// bits, so a registrar that does not know it ignores it.
type HandleResolutionOption struct {
	Items uint32 // AllItems for all
}

// ParamType returns ParamHandleResolutionOption.
func (HandleResolutionOption) ParamType() ParamType { return ParamHandleResolutionOption }

// AppendTo appends the option parameter.
func (o HandleResolutionOption) AppendTo(b []byte) ([]byte, error) {
	e := paramEncoder(b)
	e.handleResolutionOption(o)
	return e.result()
}

func (e *encoder) handleResolutionOption(o HandleResolutionOption) {
	e.b = append(e.b, byte(ParamHandleResolutionOption>>8), byte(ParamHandleResolutionOption&0xff), 0, 8)
	e.u32(o.Items)
}

func (d *decoder) handleResolutionOption(t tlv) (HandleResolutionOption, error) {
	if t.end-t.val != 4 {
		return HandleResolutionOption{}, d.fail(t.off, t.typ, ErrLength, "value is %d bytes, want 4", t.end-t.val)
	}
	return HandleResolutionOption{Items: d.be32(t.val)}, nil
}
