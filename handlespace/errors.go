package handlespace

import (
	"errors"
	"fmt"

	"github.com/sigpool/sigpool/wire"
)

// Reasons a registration is rejected; test with errors.Is. Each maps to the
// Operation Error cause the registrar sends (Error.Cause).
var (
	ErrInvalidValues           = errors.New("invalid values")                          // 0x3
	ErrNonUniquePEIdentifier   = errors.New("non-unique PE identifier")                // 0x4
	ErrPolicyInconsistent      = errors.New("pooling policy inconsistent")             // 0x5
	ErrLackOfResources         = errors.New("lack of resources")                       // 0x6
	ErrInconsistentTransport   = errors.New("inconsistent transport type")             // 0x7
	ErrInconsistentDataControl = errors.New("inconsistent data/control configuration") // 0x8
	ErrUnknownPoolHandle       = errors.New("unknown pool handle")                     // 0x9
)

// causeOf maps a reason to its cause code.
func causeOf(reason error) wire.CauseCode {
	switch reason {
	case ErrInvalidValues:
		return wire.CauseInvalidValues
	case ErrNonUniquePEIdentifier:
		return wire.CauseNonUniquePEIdentifier
	case ErrPolicyInconsistent:
		return wire.CauseInconsistentPoolingPolicy
	case ErrLackOfResources:
		return wire.CauseLackOfResources
	case ErrInconsistentTransport:
		return wire.CauseInconsistentTransportType
	case ErrInconsistentDataControl:
		return wire.CauseInconsistentDataControlConfig
	case ErrUnknownPoolHandle:
		return wire.CauseUnknownPoolHandle
	}
	return 0
}

// Error is a rejected handlespace operation: what was attempted, on which
// pool and PE, why, and the cause to put in the Operation Error.
type Error struct {
	Op         string // "register", "select"
	Namespace  string
	PoolHandle wire.PoolHandle
	PE         wire.PEIdentifier // 0 when no PE is involved
	Reason     error             // one of the Err* values
	Detail     string
}

func (e *Error) Error() string {
	s := fmt.Sprintf("handlespace: %s", e.Op)
	if e.PE != 0 {
		s += fmt.Sprintf(" PE %v", e.PE)
	}
	s += fmt.Sprintf(" in pool %q", e.PoolHandle.String())
	if e.Namespace != "" {
		s += fmt.Sprintf(" of namespace %q", e.Namespace)
	}
	s += ": " + e.Reason.Error()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns the reason.
func (e *Error) Unwrap() error { return e.Reason }

// Cause is the Operation Error cause code for the reason.
func (e *Error) Cause() wire.CauseCode { return causeOf(e.Reason) }

// CauseOf returns the cause to report for err, when it is (or wraps) an
// *Error.
func CauseOf(err error) (wire.CauseCode, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e.Cause(), true
	}
	return 0, false
}
