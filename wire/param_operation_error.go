package wire

import (
	"fmt"
	"strings"
)

// CauseCode is the code of an error cause in an Operation Error.
type CauseCode uint16

// Cause codes of RFC 5354, section 3.10 (Operation Error). RSPLIB also puts
// some of its internal error numbers on the wire; they decode as causes
// with an unknown code.
const (
	CauseUnrecognizedParameter         CauseCode = 0x1
	CauseUnrecognizedMessage           CauseCode = 0x2
	CauseInvalidValues                 CauseCode = 0x3
	CauseNonUniquePEIdentifier         CauseCode = 0x4
	CauseInconsistentPoolingPolicy     CauseCode = 0x5
	CauseLackOfResources               CauseCode = 0x6
	CauseInconsistentTransportType     CauseCode = 0x7
	CauseInconsistentDataControlConfig CauseCode = 0x8
	CauseUnknownPoolHandle             CauseCode = 0x9
	CauseRejectionDueToSecurity        CauseCode = 0xa
)

const causeHeaderLen = 4 // code, length

var causeNames = [...]string{
	CauseUnrecognizedParameter:         "unrecognized parameter",
	CauseUnrecognizedMessage:           "unrecognized message",
	CauseInvalidValues:                 "invalid values",
	CauseNonUniquePEIdentifier:         "non-unique PE identifier",
	CauseInconsistentPoolingPolicy:     "inconsistent pooling policy",
	CauseLackOfResources:               "lack of resources",
	CauseInconsistentTransportType:     "inconsistent transport type",
	CauseInconsistentDataControlConfig: "inconsistent data/control configuration",
	CauseUnknownPoolHandle:             "unknown pool handle",
	CauseRejectionDueToSecurity:        "rejection due to security considerations",
}

func (c CauseCode) String() string {
	if int(c) < len(causeNames) && causeNames[c] != "" {
		return causeNames[c]
	}
	return fmt.Sprintf("unknown cause 0x%04x", uint16(c))
}

// carriesParameter reports whether the cause information is a parameter
// (as Wireshark dissects it).
func (c CauseCode) carriesParameter() bool {
	switch c {
	case CauseUnrecognizedParameter, CauseInvalidValues, CauseInconsistentPoolingPolicy, CauseInconsistentTransportType:
		return true
	}
	return false
}

// ErrorCause is one cause of an Operation Error. Info is the cause-specific
// information, raw: the offending parameter (header and value, no padding)
// for "unrecognized parameter", "invalid values", "inconsistent pooling
// policy" and "inconsistent transport type"; the offending message for
// "unrecognized message"; empty for the rest. Causes with unknown codes
// keep their information as received.
//
// An ErrorCause is an error, so a registrar's rejection can travel up as one.
type ErrorCause struct {
	Code CauseCode
	Info []byte
}

func (c ErrorCause) Error() string {
	if len(c.Info) == 0 {
		return "rserpool: " + c.Code.String()
	}
	return fmt.Sprintf("rserpool: %s (%d bytes of information)", c.Code, len(c.Info))
}

// Parameter decodes the parameter a cause carries, for the codes whose
// information is a parameter.
func (c ErrorCause) Parameter() (Parameter, error) {
	if !c.Code.carriesParameter() {
		return nil, fmt.Errorf("wire: %s cause carries no parameter: %w", c.Code, ErrInvalidValue)
	}
	p, _, _, err := DecodeParameter(c.Info)
	return p, err
}

// UnrecognizedParameterCause returns the cause that reports param, the
// complete parameter (header and value) as it was received.
func UnrecognizedParameterCause(param []byte) ErrorCause {
	return ErrorCause{Code: CauseUnrecognizedParameter, Info: cloneBytes(param)}
}

// UnrecognizedMessageCause returns the cause that reports msg, the complete
// message as it was received.
func UnrecognizedMessageCause(msg []byte) ErrorCause {
	return ErrorCause{Code: CauseUnrecognizedMessage, Info: cloneBytes(msg)}
}

// OperationError is the Operation Error parameter (RFC 5354, section 3.10):
// one or more error causes.
type OperationError struct {
	Causes []ErrorCause
}

// ParamType returns ParamOperationError.
func (OperationError) ParamType() ParamType { return ParamOperationError }

// AppendTo appends the operation error parameter.
func (oe OperationError) AppendTo(b []byte) ([]byte, error) {
	e := paramEncoder(b)
	e.operationError(&oe)
	return e.result()
}

func (oe OperationError) String() string {
	s := make([]string, len(oe.Causes))
	for i, c := range oe.Causes {
		s[i] = c.Code.String()
	}
	return "operation error: " + strings.Join(s, ", ")
}

// Each cause is padded to 4 bytes inside the parameter, like nested
// parameters; the cause length excludes its padding.
func (e *encoder) operationError(oe *OperationError) {
	s := e.begin(ParamOperationError)
	for _, c := range oe.Causes {
		l := causeHeaderLen + len(c.Info)
		if l > maxLength {
			e.fail(ParamOperationError, ErrTooLong, "%s cause is %d bytes", c.Code, l)
			return
		}
		e.u16(uint16(c.Code))
		e.u16(uint16(l))
		e.b = append(e.b, c.Info...)
		for ; l%4 != 0; l++ {
			e.b = append(e.b, 0)
		}
	}
	e.end(s, ParamOperationError)
}

func (d *decoder) operationError(t tlv, oe *OperationError) error {
	n := 0
	for off := t.val; t.end-off >= causeHeaderLen; n++ {
		l := int(d.be16(off + 2))
		if l < causeHeaderLen {
			break
		}
		off += pad4(l)
	}
	if n > 0 {
		oe.Causes = make([]ErrorCause, 0, n)
	}
	for off := t.val; off < t.end; {
		if t.end-off < causeHeaderLen {
			return d.fail(off, t.typ, ErrTruncated, "%d bytes left, an error cause header needs 4", t.end-off)
		}
		code := CauseCode(d.be16(off))
		l := int(d.be16(off + 2))
		switch {
		case l < causeHeaderLen:
			return d.fail(off, t.typ, ErrLength, "%s cause length %d is shorter than its 4-byte header", code, l)
		case l > t.end-off:
			return d.fail(off, t.typ, ErrLength, "%s cause length %d exceeds the %d bytes left", code, l, t.end-off)
		}
		next := off + pad4(l)
		if next > t.end {
			// The last cause may leave its padding to the parameter's (RSPLIB).
			if off+l != t.end {
				return d.fail(off, t.typ, ErrPadding, "%s cause length %d needs %d padding bytes", code, l, pad4(l)-l)
			}
			next = t.end
		}
		oe.Causes = append(oe.Causes, ErrorCause{Code: code, Info: cloneBytes(d.b[off+causeHeaderLen : off+l])})
		off = next
	}
	return nil
}
