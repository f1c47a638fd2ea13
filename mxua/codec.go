package mxua

// The codec is our own for both protocols. go-m3ua v0.1.10's messages
// package was measured and checked against RFC 4666 and tshark, and is used
// only in tests, as a second opinion on the M3UA bytes (codec_gom3ua_test.go):
//   - it has no RKM messages, checks neither the version nor the header's
//     Message Length, lets class/type pairs collide (it keys them as
//     class<<4|type in a uint16 computed in uint8, so class 0 type 0x11
//     parses as DATA), reads a wrong-sized fixed parameter as 0, accepts any
//     parameter in a message whose type it does not know and rejects unknown
//     tags with a bare error that names no offset or ERR code;
//   - on the DATA hot path it allocates a header, a parameter slice and a
//     struct per parameter (see BenchmarkM3UADataDecodeEncodeGoM3UA).
// Pre-validating everything it misses would have been a decoder of its own,
// so one table-driven decoder (schema per message kind, in the per-family
// files) serves M3UA and SUA alike.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
)

// Version is the only protocol version of M3UA and SUA.
const Version = 1

const (
	headerLen      = 8
	paramHeaderLen = 4
	maxParamLen    = 0xffff
)

func pad4(n int) int { return (n + 3) &^ 3 }

// Encode returns the wire form of m.
func Encode(m *Message) ([]byte, error) {
	return AppendMessage(make([]byte, 0, sizeHint(m)), m)
}

// sizeHint guesses the encoded size so Encode allocates once.
func sizeHint(m *Message) int {
	if m == nil {
		return 0
	}
	n := 64 + len(m.InfoString) + len(m.DiagnosticInfo) + len(m.HeartbeatData) +
		4*len(m.RoutingContexts) + 4*len(m.AffectedPointCodes) +
		96*len(m.RoutingKeys) + 36*len(m.RegistrationResults) + 24*len(m.DeregistrationResult)
	if m.ProtocolData != nil {
		n += 16 + len(m.ProtocolData.Payload)
	}
	if m.SUA != nil {
		n += 160 + len(m.SUA.Data)
	}
	return n
}

// AppendMessage appends the wire form of m to b. On error it returns b
// unchanged.
func AppendMessage(b []byte, m *Message) ([]byte, error) {
	if m == nil {
		return b, &EncodeError{Reason: ErrInvalidValue, Detail: "nil message"}
	}
	sc := schemaFor(m.Protocol, m.Kind)
	if sc == nil {
		e := &EncodeError{Protocol: m.Protocol, Kind: m.Kind, Reason: ErrUnknownType}
		if !classKnown(m.Protocol, m.Kind.Class()) {
			e.Reason = ErrUnknownClass
		}
		return b, e
	}
	present := presence(m) | sc.allowed&bit(fErrorCode)
	if m.SUA != nil {
		present |= sc.allowed & (bit(fProtocolClass) | bit(fSeqControl))
	}
	if extra := present &^ sc.allowed; extra != 0 {
		f := field(bits.TrailingZeros64(extra))
		return b, &EncodeError{Protocol: m.Protocol, Kind: m.Kind, Tag: tagOf(m.Protocol, f), Reason: ErrParameterNotAllowed}
	}
	if miss := sc.mand &^ present; miss != 0 {
		f := field(bits.TrailingZeros64(miss))
		return b, &EncodeError{Protocol: m.Protocol, Kind: m.Kind, Tag: tagOf(m.Protocol, f), Reason: ErrParameterMissing}
	}
	start := len(b)
	b = append(b, Version, 0, m.Kind.Class(), m.Kind.Type(), 0, 0, 0, 0)
	e := encoder{p: m.Protocol, kind: m.Kind}
	for _, s := range sc.specs {
		if present&bit(s.f) == 0 {
			continue
		}
		var err error
		if b, err = e.field(b, s.f, m); err != nil {
			return b[:start], err
		}
	}
	binary.BigEndian.PutUint32(b[start+4:], uint32(len(b)-start))
	return b, nil
}

// presence returns the fields m carries, value fields aside.
func presence(m *Message) uint64 {
	var p uint64
	set := func(f field, ok bool) {
		if ok {
			p |= bit(f)
		}
	}
	set(fInfoString, m.InfoString != "")
	set(fRoutingContext, len(m.RoutingContexts) > 0)
	set(fDiagnostic, m.DiagnosticInfo != nil)
	set(fHeartbeat, m.HeartbeatData != nil)
	set(fTrafficMode, m.TrafficMode != TrafficModeNone)
	set(fStatus, m.Status != nil)
	set(fASPID, m.ASPIdentifier != nil)
	set(fAPC, len(m.AffectedPointCodes) > 0)
	set(fCorrelationID, m.CorrelationID != nil)
	set(fNetworkAppearance, m.NetworkAppearance != nil)
	set(fUserCause, m.UserCause != nil)
	set(fCongestion, m.CongestionLevel != nil)
	set(fConcernedDest, m.ConcernedDestination != nil)
	set(fRoutingKey, len(m.RoutingKeys) > 0)
	set(fRegResult, len(m.RegistrationResults) > 0)
	set(fDeregResult, len(m.DeregistrationResult) > 0)
	set(fProtocolData, m.ProtocolData != nil)
	set(fSSN, m.AffectedSSN != nil)
	set(fSMI, m.SMI != nil)
	set(fASPCapabilities, m.ASPCapabilities != nil)
	set(fTIDLabel, m.TIDLabel != nil)
	set(fDRNLabel, m.DRNLabel != nil)
	if s := m.SUA; s != nil {
		set(fHopCounter, s.HopCounter != nil)
		set(fSrcAddr, s.Source != nil)
		set(fDstAddr, s.Destination != nil)
		set(fSrcRef, s.SourceReference != nil)
		set(fDstRef, s.DestReference != nil)
		set(fCause, s.SCCPCause != nil)
		set(fSeqNum, s.SequenceNumber != nil)
		set(fRecvSeqNum, s.ReceiveSequenceNumber != nil)
		set(fCredit, s.Credit != nil)
		set(fData, s.Data != nil)
		set(fImportance, s.Importance != nil)
		set(fMsgPriority, s.MessagePriority != nil)
		set(fSegmentation, s.Segmentation != nil)
	}
	return p
}

type encoder struct {
	p    Protocol
	kind Kind
}

func (e *encoder) fail(t Tag, reason error, format string, args ...any) error {
	return &EncodeError{Protocol: e.p, Kind: e.kind, Tag: t, Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

func appendU32Param(b []byte, t Tag, v uint32) []byte {
	return append(b, byte(t>>8), byte(t), 0, 8, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// appendPadding pads the parameter of length l just written.
func appendPadding(b []byte, l int) []byte {
	for range pad4(l) - l {
		b = append(b, 0)
	}
	return b
}

func (e *encoder) bytesParam(b []byte, t Tag, v []byte) ([]byte, error) {
	l := paramHeaderLen + len(v)
	if l > maxParamLen {
		return b, e.fail(t, ErrTooLong, "%d bytes", len(v))
	}
	b = append(b, byte(t>>8), byte(t), byte(l>>8), byte(l))
	b = append(b, v...)
	return appendPadding(b, l), nil
}

func (e *encoder) stringParam(b []byte, t Tag, v string) ([]byte, error) {
	l := paramHeaderLen + len(v)
	if l > maxParamLen {
		return b, e.fail(t, ErrTooLong, "%d bytes", len(v))
	}
	b = append(b, byte(t>>8), byte(t), byte(l>>8), byte(l))
	b = append(b, v...)
	return appendPadding(b, l), nil
}

// openParam starts a parameter whose length is known only at its end;
// closeParam patches the length in and pads.
func openParam(b []byte, t Tag) ([]byte, int) {
	return append(b, byte(t>>8), byte(t), 0, 0), len(b)
}

func (e *encoder) closeParam(b []byte, t Tag, start int) ([]byte, error) {
	l := len(b) - start
	if l > maxParamLen {
		return b, e.fail(t, ErrTooLong, "%d bytes", l)
	}
	binary.BigEndian.PutUint16(b[start+2:], uint16(l))
	return appendPadding(b, l), nil
}

func (e *encoder) u32ListParam(b []byte, t Tag, vs []uint32) ([]byte, error) {
	l := paramHeaderLen + 4*len(vs)
	if l > maxParamLen {
		return b, e.fail(t, ErrTooLong, "%d entries", len(vs))
	}
	b = append(b, byte(t>>8), byte(t), byte(l>>8), byte(l))
	for _, v := range vs {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	return b, nil
}

// pointCode checks that pc fits the 24 bits M3UA and SUA give a point
// code next to a mask or reserved byte.
func (e *encoder) pointCode(t Tag, pc uint32) error {
	if pc > 0xffffff {
		return e.fail(t, ErrInvalidValue, "point code %d does not fit 24 bits", pc)
	}
	return nil
}

func (e *encoder) field(b []byte, f field, m *Message) ([]byte, error) {
	t := tagOf(e.p, f)
	switch f {
	case fInfoString:
		return e.stringParam(b, t, m.InfoString)
	case fRoutingContext:
		return e.u32ListParam(b, t, m.RoutingContexts)
	case fDiagnostic:
		return e.bytesParam(b, t, m.DiagnosticInfo)
	case fHeartbeat:
		return e.bytesParam(b, t, m.HeartbeatData)
	case fTrafficMode:
		return appendU32Param(b, t, uint32(m.TrafficMode)), nil
	case fErrorCode:
		return appendU32Param(b, t, uint32(m.ErrorCode)), nil
	case fStatus:
		return appendU32Param(b, t, uint32(m.Status.Type)<<16|uint32(m.Status.Info)), nil
	case fASPID:
		return appendU32Param(b, t, *m.ASPIdentifier), nil
	case fAPC:
		l := paramHeaderLen + 4*len(m.AffectedPointCodes)
		if l > maxParamLen {
			return b, e.fail(t, ErrTooLong, "%d point codes", len(m.AffectedPointCodes))
		}
		b = append(b, byte(t>>8), byte(t), byte(l>>8), byte(l))
		for _, a := range m.AffectedPointCodes {
			if err := e.pointCode(t, a.PointCode); err != nil {
				return b, err
			}
			b = binary.BigEndian.AppendUint32(b, uint32(a.Mask)<<24|a.PointCode)
		}
		return b, nil
	case fCorrelationID:
		return appendU32Param(b, t, *m.CorrelationID), nil
	case fNetworkAppearance:
		return appendU32Param(b, t, *m.NetworkAppearance), nil
	case fUserCause:
		return appendU32Param(b, t, uint32(m.UserCause.Cause)<<16|uint32(m.UserCause.User)), nil
	case fCongestion:
		// M3UA: 24 reserved bits and an 8-bit level; SUA: a 32-bit level.
		return appendU32Param(b, t, uint32(*m.CongestionLevel)), nil
	case fConcernedDest:
		if err := e.pointCode(t, *m.ConcernedDestination); err != nil {
			return b, err
		}
		return appendU32Param(b, t, *m.ConcernedDestination), nil
	case fRoutingKey:
		for i := range m.RoutingKeys {
			var err error
			if b, err = e.routingKey(b, t, &m.RoutingKeys[i]); err != nil {
				return b, err
			}
		}
		return b, nil
	case fRegResult:
		for _, r := range m.RegistrationResults {
			b = e.registrationResult(b, t, r)
		}
		return b, nil
	case fDeregResult:
		for _, r := range m.DeregistrationResult {
			b = e.deregistrationResult(b, t, r)
		}
		return b, nil
	case fProtocolData:
		return e.protocolData(b, t, m.ProtocolData)
	case fSSN:
		return appendU32Param(b, t, uint32(*m.AffectedSSN)), nil
	case fSMI:
		return appendU32Param(b, t, uint32(*m.SMI)), nil
	case fASPCapabilities:
		return appendU32Param(b, t, *m.ASPCapabilities), nil
	case fTIDLabel:
		return appendU32Param(b, t, m.TIDLabel.word()), nil
	case fDRNLabel:
		return appendU32Param(b, t, m.DRNLabel.word()), nil
	}
	return e.suaField(b, t, f, m.SUA)
}

func (l *Label) word() uint32 { return uint32(l.Start)<<24 | uint32(l.End)<<16 | uint32(l.Value) }

// decoder walks one message; all offsets are absolute in b, so errors can
// say exactly where they are.
type decoder struct {
	p    Protocol
	kind Kind
	b    []byte
	// buf is a copy of b, made the first time a decoded field needs bytes,
	// so decoded messages never alias the caller's (likely reused) buffer
	// and a DATA costs one copy, not one per field; b itself when the
	// caller hands b over (decodeOwned).
	buf []byte
}

func (d *decoder) be16(off int) uint16 { return binary.BigEndian.Uint16(d.b[off:]) }
func (d *decoder) be32(off int) uint32 { return binary.BigEndian.Uint32(d.b[off:]) }

func (d *decoder) fail(off int, t Tag, code ErrorCode, reason error, format string, args ...any) *DecodeError {
	return &DecodeError{
		Protocol: d.p, Kind: d.kind, HeaderRead: true, Offset: off, Tag: t,
		Code: code, Reason: reason, Detail: fmt.Sprintf(format, args...),
	}
}

// bytes returns b[from:to] from the decoder's private copy.
func (d *decoder) bytes(from, to int) []byte {
	if d.buf == nil {
		d.buf = bytes.Clone(d.b)
	}
	return d.buf[from:to:to]
}

// tlv locates one parameter: header at off, value in [val, end), the next
// parameter (after padding) at next.
type tlv struct {
	t                   Tag
	off, val, end, next int
}

func (t tlv) len() int { return t.end - t.val }

// tlv reads the parameter header at off; the parameter and its padding
// must lie in [off, end). outer names the container for errors. The last
// parameter of a message or container may lack its padding: RFC 4666
// section 3.2 has senders pad, but being lenient costs nothing here.
func (d *decoder) tlv(off, end int, outer Tag) (tlv, error) {
	if end-off < paramHeaderLen {
		return tlv{}, d.fail(off, outer, ErrParameterFieldError, ErrTruncated, "%d bytes left, a parameter header needs 4", end-off)
	}
	t := Tag(d.be16(off))
	l := int(d.be16(off + 2))
	if l < paramHeaderLen {
		return tlv{}, d.fail(off, t, ErrParameterFieldError, ErrLength, "parameter length %d is shorter than its 4-byte header", l)
	}
	if l > end-off {
		return tlv{}, d.fail(off, t, ErrParameterFieldError, ErrLength, "parameter length %d exceeds the %d bytes left", l, end-off)
	}
	next := off + pad4(l)
	if next > end {
		if off+l != end {
			return tlv{}, d.fail(off, t, ErrParameterFieldError, ErrPadding, "parameter length %d needs %d padding bytes, %d left", l, pad4(l)-l, end-off-l)
		}
		next = end
	}
	return tlv{t: t, off: off, val: off + paramHeaderLen, end: off + l, next: next}, nil
}

// other fails on a parameter its container has no slot for. RFC 4666 and
// RFC 3868 have no action bits: section 3.8.1 answers "a message [that]
// contains an invalid parameter" with Unexpected Parameter, whether the tag
// is unknown or merely out of place.
func (d *decoder) other(t tlv, where string) error {
	if knownTag(d.p, t.t) {
		return d.fail(t.off, t.t, ErrUnexpectedParameter, ErrParameterNotAllowed, "not allowed in %s", where)
	}
	return d.fail(t.off, t.t, ErrUnexpectedParameter, ErrUnknownParameter, "unknown tag 0x%04x in %s", uint16(t.t), where)
}

func (d *decoder) duplicate(t tlv, where string) error {
	return d.fail(t.off, t.t, ErrUnexpectedParameter, ErrDuplicateParameter, "second %s in %s", t.t.name(d.p), where)
}

func (d *decoder) missing(off int, t Tag, where string) error {
	return d.fail(off, t, ErrMissingParameter, ErrParameterMissing, "%s lacks %s", where, t.name(d.p))
}

func (d *decoder) u32(t tlv) (uint32, error) {
	if t.len() != 4 {
		return 0, d.fail(t.off, t.t, ErrParameterFieldError, ErrLength, "value of %d bytes, want 4", t.len())
	}
	return d.be32(t.val), nil
}

// low8 reads a value of 24 reserved bits and one byte; reserved bits are
// ignored on receipt.
func (d *decoder) low8(t tlv) (uint8, error) {
	v, err := d.u32(t)
	return uint8(v), err
}

// list4 checks a value made of one or more 4-byte entries and returns
// their count.
func (d *decoder) list4(t tlv, size int) (int, error) {
	if t.len() == 0 || t.len()%size != 0 {
		return 0, d.fail(t.off, t.t, ErrParameterFieldError, ErrLength, "value of %d bytes is not a non-empty list of %d-byte entries", t.len(), size)
	}
	return t.len() / size, nil
}

func (d *decoder) u32List(t tlv, one *[1]uint32) ([]uint32, error) {
	n, err := d.list4(t, 4)
	if err != nil {
		return nil, err
	}
	var vs []uint32
	if n == 1 && one != nil {
		vs = one[:1:1] // the usual single context rides in the message's block
	} else {
		vs = make([]uint32, n)
	}
	for i := range vs {
		vs[i] = d.be32(t.val + 4*i)
	}
	return vs, nil
}

// Blocks put a decoded message and its usual companions in one
// allocation.
type (
	m3uaDataBlock struct {
		m  Message
		rc [1]uint32
		pd ProtocolData
	}
	suaBlock struct {
		m  Message
		rc [1]uint32
		s  SUAData
	}
	plainBlock struct {
		m  Message
		rc [1]uint32
	}
)

// Decode decodes one M3UA or SUA message, exactly the bytes of b (one SCTP
// user message). The result never aliases b. Errors are *DecodeError.
func Decode(p Protocol, b []byte) (*Message, error) { return decode(p, b, false) }

// decodeOwned is Decode for a b nobody else holds or changes (a message
// buffer the transport handed over): the result's byte fields alias b
// instead of copying it.
func decodeOwned(p Protocol, b []byte) (*Message, error) { return decode(p, b, true) }

func decode(p Protocol, b []byte, owned bool) (*Message, error) {
	if p != M3UA && p != SUA {
		return nil, &DecodeError{Protocol: p, Code: ErrProtocolError, Reason: ErrInvalidValue, Detail: "unknown protocol"}
	}
	if len(b) == 0 {
		return nil, &DecodeError{Protocol: p, Code: ErrProtocolError, Reason: ErrTruncated, Detail: "empty message"}
	}
	if b[0] != Version {
		return nil, &DecodeError{Protocol: p, Code: ErrInvalidVersion, Reason: ErrVersion, Detail: fmt.Sprintf("version %d, only 1 is defined", b[0])}
	}
	if len(b) < headerLen {
		return nil, &DecodeError{Protocol: p, Code: ErrProtocolError, Reason: ErrTruncated, Detail: fmt.Sprintf("%d bytes, the common header needs 8", len(b))}
	}
	d := decoder{p: p, kind: NewKind(b[2], b[3]), b: b}
	if owned {
		d.buf = b
	}
	if l := d.be32(4); l < headerLen || uint64(l) != uint64(len(b)) {
		return nil, d.fail(4, 0, ErrProtocolError, ErrLength, "message length %d, %d bytes received", l, len(b))
	}
	sc := schemaFor(p, d.kind)
	if sc == nil {
		if !classKnown(p, d.kind.Class()) {
			return nil, d.fail(2, 0, ErrUnsupportedMessageClass, ErrUnknownClass, "class %d", d.kind.Class())
		}
		return nil, d.fail(3, 0, ErrUnsupportedMessageType, ErrUnknownType, "type %d of class %d", d.kind.Type(), d.kind.Class())
	}
	var m *Message
	var rc *[1]uint32
	switch d.kind.Class() {
	case ClassTransfer:
		blk := new(m3uaDataBlock)
		m, rc = &blk.m, &blk.rc
		m.ProtocolData = &blk.pd // filled by the mandatory Protocol Data
	case ClassCL, ClassCO:
		blk := new(suaBlock)
		m, rc = &blk.m, &blk.rc
		m.SUA = &blk.s
	default:
		blk := new(plainBlock)
		m, rc = &blk.m, &blk.rc
	}
	m.Protocol, m.Kind = p, d.kind
	if err := d.message(sc, m, rc); err != nil {
		return nil, err
	}
	return m, nil
}

func (d *decoder) message(sc *schema, m *Message, rc *[1]uint32) error {
	var seen uint64
	end := len(d.b)
	for off := headerLen; off < end; {
		t, err := d.tlv(off, end, 0)
		if err != nil {
			return err
		}
		f := fieldOf(d.p, t.t)
		if f == fNone || sc.allowed&bit(f) == 0 {
			return d.other(t, d.kind.String())
		}
		if seen&bit(f) != 0 && sc.multi&bit(f) == 0 {
			return d.duplicate(t, d.kind.String())
		}
		seen |= bit(f)
		if err := d.field(f, t, m, rc); err != nil {
			return err
		}
		off = t.next
	}
	if miss := sc.mand &^ seen; miss != 0 {
		return d.missing(end, tagOf(d.p, field(bits.TrailingZeros64(miss))), d.kind.String())
	}
	return nil
}

func (d *decoder) field(f field, t tlv, m *Message, rc *[1]uint32) error {
	var err error
	switch f {
	case fInfoString:
		m.InfoString = string(d.b[t.val:t.end])
	case fRoutingContext:
		m.RoutingContexts, err = d.u32List(t, rc)
	case fDiagnostic:
		m.DiagnosticInfo = d.bytes(t.val, t.end)
	case fHeartbeat:
		m.HeartbeatData = d.bytes(t.val, t.end)
	case fTrafficMode:
		var v uint32
		if v, err = d.trafficMode(t); err == nil {
			m.TrafficMode = TrafficMode(v)
		}
	case fErrorCode:
		var v uint32
		v, err = d.u32(t)
		m.ErrorCode = ErrorCode(v)
	case fStatus:
		var v uint32
		if v, err = d.u32(t); err == nil {
			m.Status = &Status{Type: uint16(v >> 16), Info: uint16(v)}
		}
	case fASPID:
		m.ASPIdentifier, err = d.u32p(t)
	case fAPC:
		var n int
		if n, err = d.list4(t, 4); err == nil {
			m.AffectedPointCodes = make([]AffectedPointCode, n)
			for i := range m.AffectedPointCodes {
				v := d.be32(t.val + 4*i)
				m.AffectedPointCodes[i] = AffectedPointCode{Mask: uint8(v >> 24), PointCode: v & 0xffffff}
			}
		}
	case fCorrelationID:
		m.CorrelationID, err = d.u32p(t)
	case fNetworkAppearance:
		m.NetworkAppearance, err = d.u32p(t)
	case fUserCause:
		var v uint32
		if v, err = d.u32(t); err == nil {
			m.UserCause = &UserCause{Cause: uint16(v >> 16), User: uint16(v)}
		}
	case fCongestion:
		var v uint32
		if v, err = d.u32(t); err == nil {
			if d.p == M3UA {
				v &= 0xff // 24 reserved bits, then the level
			} else if v > 0xff {
				return d.fail(t.val, t.t, ErrInvalidParameterValue, ErrInvalidValue, "congestion level %d", v)
			}
			l := uint8(v)
			m.CongestionLevel = &l
		}
	case fConcernedDest:
		var v uint32
		if v, err = d.u32(t); err == nil {
			v &= 0xffffff // 8 reserved bits, then the point code
			m.ConcernedDestination = &v
		}
	case fRoutingKey:
		var rk RoutingKeyParam
		if rk, err = d.routingKey(t); err == nil {
			m.RoutingKeys = append(m.RoutingKeys, rk)
		}
	case fRegResult:
		var r RegistrationResult
		if r, err = d.registrationResult(t); err == nil {
			m.RegistrationResults = append(m.RegistrationResults, r)
		}
	case fDeregResult:
		var r DeregistrationResult
		if r, err = d.deregistrationResult(t); err == nil {
			m.DeregistrationResult = append(m.DeregistrationResult, r)
		}
	case fProtocolData:
		err = d.protocolData(t, m.ProtocolData)
	case fSSN:
		m.AffectedSSN, err = d.low8p(t)
	case fSMI:
		m.SMI, err = d.low8p(t)
	case fASPCapabilities:
		m.ASPCapabilities, err = d.u32p(t)
	case fTIDLabel:
		m.TIDLabel, err = d.label(t)
	case fDRNLabel:
		m.DRNLabel, err = d.label(t)
	default:
		err = d.suaField(f, t, m.SUA)
	}
	return err
}

func (d *decoder) u32p(t tlv) (*uint32, error) {
	v, err := d.u32(t)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

func (d *decoder) low8p(t tlv) (*uint8, error) {
	v, err := d.low8(t)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// trafficMode reads a Traffic Mode Type. Zero is no mode at all (and the
// model's "absent"); values above 3 are kept, for the state machine to
// answer with Unsupported Traffic Mode Type.
func (d *decoder) trafficMode(t tlv) (uint32, error) {
	v, err := d.u32(t)
	if err == nil && v == 0 {
		err = d.fail(t.val, t.t, ErrInvalidParameterValue, ErrInvalidValue, "traffic mode 0")
	}
	return v, err
}

func (d *decoder) label(t tlv) (*Label, error) {
	v, err := d.u32(t)
	if err != nil {
		return nil, err
	}
	return &Label{Start: uint8(v >> 24), End: uint8(v >> 16), Value: uint16(v)}, nil
}

// tagSet remembers the tags seen in a container, to catch duplicates.
type tagSet struct {
	t [16]Tag
	n int
}

// add records t and reports whether it is new.
func (s *tagSet) add(t Tag) bool {
	for _, x := range s.t[:s.n] {
		if x == t {
			return false
		}
	}
	if s.n < len(s.t) {
		s.t[s.n] = t
		s.n++
	}
	return true
}

func (s *tagSet) has(t Tag) bool {
	for _, x := range s.t[:s.n] {
		if x == t {
			return true
		}
	}
	return false
}
