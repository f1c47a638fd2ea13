package wire

// ASAPErrorMessage (ASAP Error, 0x0e, RFC 5352 section 2.2.14) reports
// errors such as unrecognized parameters or messages back to the sender.
type ASAPErrorMessage struct {
	Error OperationError
}

// Type returns ASAPError.
func (*ASAPErrorMessage) Type() MessageType { return ASAPError }

// AppendTo appends the encoded message to b.
func (m *ASAPErrorMessage) AppendTo(b []byte) ([]byte, error) {
	e := newMessageEncoder(b, ASAPError, 0)
	e.operationError(&m.Error)
	return e.finish()
}

func (m *ASAPErrorMessage) decode(d *decoder, _ uint8, off, end int) error {
	var p params
	rules := paramRules{allowed: bitOperationError, required: bitOperationError}
	if err := d.collect(off, end, rules, &p); err != nil {
		return err
	}
	m.Error = p.opErr
	return nil
}
