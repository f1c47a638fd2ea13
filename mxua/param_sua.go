package mxua

// The SUA transfer parameters (RFC 3868 section 3.10), kept in SUAData.

func (e *encoder) suaField(b []byte, t Tag, f field, s *SUAData) ([]byte, error) {
	switch f {
	case fHopCounter:
		return appendU32Param(b, t, uint32(*s.HopCounter)), nil
	case fSrcAddr:
		return e.address(b, t, s.Source)
	case fDstAddr:
		return e.address(b, t, s.Destination)
	case fSrcRef:
		return appendU32Param(b, t, *s.SourceReference), nil
	case fDstRef:
		return appendU32Param(b, t, *s.DestReference), nil
	case fCause:
		return appendU32Param(b, t, *s.SCCPCause), nil
	case fSeqNum:
		return appendU32Param(b, t, *s.SequenceNumber), nil
	case fRecvSeqNum:
		return appendU32Param(b, t, *s.ReceiveSequenceNumber), nil
	case fCredit:
		return appendU32Param(b, t, *s.Credit), nil
	case fData:
		return e.bytesParam(b, t, s.Data)
	case fImportance:
		return appendU32Param(b, t, uint32(*s.Importance)), nil
	case fMsgPriority:
		return appendU32Param(b, t, uint32(*s.MessagePriority)), nil
	case fProtocolClass:
		return appendU32Param(b, t, uint32(s.ProtocolClass)), nil
	case fSeqControl:
		return appendU32Param(b, t, s.SequenceControl), nil
	case fSegmentation:
		return appendU32Param(b, t, *s.Segmentation), nil
	}
	return b, e.fail(t, ErrInvalidValue, "no encoder for field %d", f)
}

func (d *decoder) suaField(f field, t tlv, s *SUAData) error {
	if s == nil {
		// Only CL and CO messages carry these, and Decode gives them SUAData.
		return d.other(t, d.kind.String())
	}
	var err error
	switch f {
	case fHopCounter:
		s.HopCounter, err = d.low8p(t)
	case fSrcAddr:
		s.Source, err = d.address(t)
	case fDstAddr:
		s.Destination, err = d.address(t)
	case fSrcRef:
		s.SourceReference, err = d.u32p(t)
	case fDstRef:
		s.DestReference, err = d.u32p(t)
	case fCause:
		s.SCCPCause, err = d.u32p(t)
	case fSeqNum:
		s.SequenceNumber, err = d.u32p(t)
	case fRecvSeqNum:
		s.ReceiveSequenceNumber, err = d.u32p(t)
	case fCredit:
		s.Credit, err = d.u32p(t)
	case fData:
		s.Data = d.bytes(t.val, t.end)
	case fImportance:
		s.Importance, err = d.low8p(t)
	case fMsgPriority:
		s.MessagePriority, err = d.low8p(t)
	case fProtocolClass:
		s.ProtocolClass, err = d.low8(t)
	case fSeqControl:
		s.SequenceControl, err = d.u32(t)
	case fSegmentation:
		s.Segmentation, err = d.u32p(t)
	default:
		err = d.other(t, d.kind.String())
	}
	return err
}
