package mxua

import "encoding/binary"

// protocolDataFixed is the routing label part of Protocol Data: OPC and DPC
// (32 bits each), SI, NI, MP and SLS (RFC 4666 section 3.3.1).
const protocolDataFixed = 12

func (e *encoder) protocolData(b []byte, t Tag, pd *ProtocolData) ([]byte, error) {
	l := paramHeaderLen + protocolDataFixed + len(pd.Payload)
	if l > maxParamLen {
		return b, e.fail(t, ErrTooLong, "payload of %d bytes", len(pd.Payload))
	}
	b = append(b, byte(t>>8), byte(t), byte(l>>8), byte(l))
	b = binary.BigEndian.AppendUint32(b, pd.OPC)
	b = binary.BigEndian.AppendUint32(b, pd.DPC)
	b = append(b, pd.SI, pd.NI, pd.MP, pd.SLS)
	b = append(b, pd.Payload...)
	return appendPadding(b, l), nil
}

func (d *decoder) protocolData(t tlv, pd *ProtocolData) error {
	if t.len() < protocolDataFixed {
		return d.fail(t.off, t.t, ErrParameterFieldError, ErrLength, "value of %d bytes, the routing label needs %d", t.len(), protocolDataFixed)
	}
	v := t.val
	pd.OPC = d.be32(v)
	pd.DPC = d.be32(v + 4)
	pd.SI, pd.NI, pd.MP, pd.SLS = d.b[v+8], d.b[v+9], d.b[v+10], d.b[v+11]
	pd.Payload = d.bytes(v+protocolDataFixed, t.end)
	return nil
}
