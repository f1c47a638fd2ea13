package mxua

import "encoding/binary"

// Routing Key, Registration Result and Deregistration Result parameters
// (RFC 4666 section 3.6, RFC 3868 section 3.6). Both protocols nest the
// same kind of parameters, under different tags.

type rkmTags struct {
	lrkID, regStatus, deregStatus, na Tag
}

func rkmTagsOf(p Protocol) rkmTags {
	if p == M3UA {
		return rkmTags{TagM3UALocalRKIdentifier, TagM3UARegistrationStatus, TagM3UADeregistrationStatus, TagM3UANetworkAppearance}
	}
	return rkmTags{TagSUALocalRKIdentifier, TagSUARegistrationStatus, TagSUADeregistrationStatus, TagSUANetworkAppearance}
}

func (e *encoder) routingKey(b []byte, t Tag, rk *RoutingKeyParam) ([]byte, error) {
	tags := rkmTagsOf(e.p)
	b, start := openParam(b, t)
	b = appendU32Param(b, tags.lrkID, rk.LocalRKIdentifier)
	if rk.RoutingContext != nil {
		b = appendU32Param(b, TagRoutingContext, *rk.RoutingContext)
	}
	if rk.TrafficMode != TrafficModeNone {
		b = appendU32Param(b, TagTrafficModeType, uint32(rk.TrafficMode))
	}
	var err error
	if e.p == M3UA {
		b, err = e.m3uaRoutingKey(b, rk)
	} else {
		b, err = e.suaRoutingKey(b, rk)
	}
	if err != nil {
		return b, err
	}
	return e.closeParam(b, t, start)
}

func (e *encoder) m3uaRoutingKey(b []byte, rk *RoutingKeyParam) ([]byte, error) {
	if rk.SSN != nil || rk.DestinationAddresses != nil || rk.SourceAddresses != nil || rk.AddressRanges != nil {
		return b, e.fail(TagM3UARoutingKey, ErrParameterNotAllowed, "SSN and SCCP addresses are SUA routing key fields")
	}
	if rk.DPC == nil {
		return b, e.fail(TagM3UADestinationPointCode, ErrParameterMissing, "a routing key needs a DPC")
	}
	if err := e.pointCode(TagM3UADestinationPointCode, *rk.DPC); err != nil {
		return b, err
	}
	b = appendU32Param(b, TagM3UADestinationPointCode, *rk.DPC) // mask 0
	if rk.NetworkAppearance != nil {
		b = appendU32Param(b, TagM3UANetworkAppearance, *rk.NetworkAppearance)
	}
	var err error
	if rk.ServiceIndicators != nil {
		if len(rk.ServiceIndicators) == 0 {
			return b, e.fail(TagM3UAServiceIndicators, ErrInvalidValue, "empty service indicator list")
		}
		if b, err = e.bytesParam(b, TagM3UAServiceIndicators, rk.ServiceIndicators); err != nil {
			return b, err
		}
	}
	if rk.OPCs != nil {
		if len(rk.OPCs) == 0 {
			return b, e.fail(TagM3UAOPCList, ErrInvalidValue, "empty OPC list")
		}
		for _, pc := range rk.OPCs {
			if err := e.pointCode(TagM3UAOPCList, pc); err != nil {
				return b, err
			}
		}
		if b, err = e.u32ListParam(b, TagM3UAOPCList, rk.OPCs); err != nil {
			return b, err
		}
	}
	if rk.CircuitRanges != nil {
		if len(rk.CircuitRanges) == 0 {
			return b, e.fail(TagM3UACircuitRange, ErrInvalidValue, "empty circuit range list")
		}
		var start int
		b, start = openParam(b, TagM3UACircuitRange)
		for _, cr := range rk.CircuitRanges {
			if err := e.pointCode(TagM3UACircuitRange, cr.OPC); err != nil {
				return b, err
			}
			b = binary.BigEndian.AppendUint32(b, cr.OPC) // mask 0
			b = binary.BigEndian.AppendUint16(b, cr.LowCIC)
			b = binary.BigEndian.AppendUint16(b, cr.HighCIC)
		}
		if b, err = e.closeParam(b, TagM3UACircuitRange, start); err != nil {
			return b, err
		}
	}
	return b, nil
}

func (e *encoder) suaRoutingKey(b []byte, rk *RoutingKeyParam) ([]byte, error) {
	if rk.ServiceIndicators != nil || rk.OPCs != nil || rk.CircuitRanges != nil {
		return b, e.fail(TagSUARoutingKey, ErrParameterNotAllowed, "service indicators, OPCs and circuit ranges are M3UA routing key fields")
	}
	if rk.NetworkAppearance != nil {
		b = appendU32Param(b, TagSUANetworkAppearance, *rk.NetworkAppearance)
	}
	var err error
	if len(rk.DestinationAddresses) == 0 && (rk.DPC != nil || rk.SSN != nil) {
		a := SCCPAddress{RoutingIndicator: RouteOnSSNPC, PointCode: rk.DPC, SSN: rk.SSN}
		if rk.DPC != nil {
			a.AddressIndicator |= AddressIndicatorPC
		}
		if rk.SSN != nil {
			a.AddressIndicator |= AddressIndicatorSSN
		}
		if b, err = e.address(b, TagSUADestinationAddress, &a); err != nil {
			return b, err
		}
	}
	for i := range rk.DestinationAddresses {
		if b, err = e.address(b, TagSUADestinationAddress, &rk.DestinationAddresses[i]); err != nil {
			return b, err
		}
	}
	for i := range rk.SourceAddresses {
		if b, err = e.address(b, TagSUASourceAddress, &rk.SourceAddresses[i]); err != nil {
			return b, err
		}
	}
	for _, r := range rk.AddressRanges {
		if b, err = e.bytesParam(b, TagSUAAddressRange, r); err != nil {
			return b, err
		}
	}
	return b, nil
}

func (d *decoder) routingKey(t tlv) (RoutingKeyParam, error) {
	var rk RoutingKeyParam
	tags := rkmTagsOf(d.p)
	var seen tagSet
	where := t.t.name(d.p)
	for off := t.val; off < t.end; {
		c, err := d.tlv(off, t.end, t.t)
		if err != nil {
			return rk, err
		}
		repeatable := c.t == TagSUADestinationAddress || c.t == TagSUASourceAddress || c.t == TagSUAAddressRange
		if !seen.add(c.t) && !(d.p == SUA && repeatable) {
			return rk, d.duplicate(c, where)
		}
		switch {
		case c.t == tags.lrkID:
			rk.LocalRKIdentifier, err = d.u32(c)
		case c.t == TagRoutingContext:
			rk.RoutingContext, err = d.u32p(c)
		case c.t == TagTrafficModeType:
			var v uint32
			v, err = d.trafficMode(c)
			rk.TrafficMode = TrafficMode(v)
		case c.t == tags.na:
			rk.NetworkAppearance, err = d.u32p(c)
		case d.p == M3UA && c.t == TagM3UADestinationPointCode:
			var v uint32
			if v, err = d.u32(c); err == nil {
				v &= 0xffffff // the mask byte is dropped: only exact DPCs are modelled
				rk.DPC = &v
			}
		case d.p == M3UA && c.t == TagM3UAServiceIndicators:
			if c.len() == 0 {
				return rk, d.fail(c.off, c.t, ErrParameterFieldError, ErrLength, "no service indicators")
			}
			rk.ServiceIndicators = d.bytes(c.val, c.end)
		case d.p == M3UA && c.t == TagM3UAOPCList:
			var n int
			if n, err = d.list4(c, 4); err == nil {
				rk.OPCs = make([]uint32, n)
				for i := range rk.OPCs {
					rk.OPCs[i] = d.be32(c.val+4*i) & 0xffffff
				}
			}
		case d.p == M3UA && c.t == TagM3UACircuitRange:
			var n int
			if n, err = d.list4(c, 8); err == nil {
				rk.CircuitRanges = make([]CircuitRange, n)
				for i := range rk.CircuitRanges {
					o := c.val + 8*i
					rk.CircuitRanges[i] = CircuitRange{OPC: d.be32(o) & 0xffffff, LowCIC: d.be16(o + 4), HighCIC: d.be16(o + 6)}
				}
			}
		case d.p == SUA && c.t == TagSUADestinationAddress:
			var a *SCCPAddress
			if a, err = d.address(c); err == nil {
				rk.DestinationAddresses = append(rk.DestinationAddresses, *a)
			}
		case d.p == SUA && c.t == TagSUASourceAddress:
			var a *SCCPAddress
			if a, err = d.address(c); err == nil {
				rk.SourceAddresses = append(rk.SourceAddresses, *a)
			}
		case d.p == SUA && c.t == TagSUAAddressRange:
			rk.AddressRanges = append(rk.AddressRanges, d.bytes(c.val, c.end))
		default:
			return rk, d.other(c, where)
		}
		if err != nil {
			return rk, err
		}
		off = c.next
	}
	if !seen.has(tags.lrkID) {
		return rk, d.missing(t.off, tags.lrkID, where)
	}
	if d.p == M3UA && !seen.has(TagM3UADestinationPointCode) {
		return rk, d.missing(t.off, TagM3UADestinationPointCode, where)
	}
	if len(rk.DestinationAddresses) > 0 {
		a := &rk.DestinationAddresses[0]
		rk.DPC, rk.SSN = a.PointCode, a.SSN
	}
	return rk, nil
}

func (e *encoder) registrationResult(b []byte, t Tag, r RegistrationResult) []byte {
	tags := rkmTagsOf(e.p)
	b = append(b, byte(t>>8), byte(t), 0, 4+3*8)
	b = appendU32Param(b, tags.lrkID, r.LocalRKIdentifier)
	b = appendU32Param(b, tags.regStatus, r.Status)
	return appendU32Param(b, TagRoutingContext, r.RoutingContext)
}

func (e *encoder) deregistrationResult(b []byte, t Tag, r DeregistrationResult) []byte {
	tags := rkmTagsOf(e.p)
	b = append(b, byte(t>>8), byte(t), 0, 4+2*8)
	b = appendU32Param(b, TagRoutingContext, r.RoutingContext)
	return appendU32Param(b, tags.deregStatus, r.Status)
}

// u32Fields decodes a container of single 32-bit parameters, all
// mandatory, in any order: the shape of both result parameters.
func (d *decoder) u32Fields(t tlv, tags []Tag, out []*uint32) error {
	var seen tagSet
	where := t.t.name(d.p)
	for off := t.val; off < t.end; {
		c, err := d.tlv(off, t.end, t.t)
		if err != nil {
			return err
		}
		i := 0
		for i < len(tags) && tags[i] != c.t {
			i++
		}
		if i == len(tags) {
			return d.other(c, where)
		}
		if !seen.add(c.t) {
			return d.duplicate(c, where)
		}
		if *out[i], err = d.u32(c); err != nil {
			return err
		}
		off = c.next
	}
	for _, tg := range tags {
		if !seen.has(tg) {
			return d.missing(t.off, tg, where)
		}
	}
	return nil
}

func (d *decoder) registrationResult(t tlv) (RegistrationResult, error) {
	var r RegistrationResult
	tags := rkmTagsOf(d.p)
	err := d.u32Fields(t, []Tag{tags.lrkID, tags.regStatus, TagRoutingContext},
		[]*uint32{&r.LocalRKIdentifier, &r.Status, &r.RoutingContext})
	return r, err
}

func (d *decoder) deregistrationResult(t tlv) (DeregistrationResult, error) {
	var r DeregistrationResult
	tags := rkmTagsOf(d.p)
	err := d.u32Fields(t, []Tag{TagRoutingContext, tags.deregStatus},
		[]*uint32{&r.RoutingContext, &r.Status})
	return r, err
}
