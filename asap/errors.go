package asap

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sigpool/sigpool/wire"
)

var (
	// ErrRejected: a registrar rejected a Registration. The error is a
	// *RejectedError carrying the registrar's causes.
	ErrRejected = errors.New("registration rejected")
	// ErrNoRegistrar: no registrar answered within the retransmission budget.
	ErrNoRegistrar = errors.New("no registrar answered")
	// ErrResolution: a registrar answered a Handle Resolution with an error
	// (typically "unknown pool handle"); the error is a *ResolutionError.
	ErrResolution = errors.New("handle resolution failed")
	// ErrEmptyPool: the pool has no (reachable) pool element.
	ErrEmptyPool = errors.New("no pool element available")
	// ErrClosed: the endpoint or session was closed here.
	ErrClosed = errors.New("asap endpoint closed")
)

// RejectedError is a registrar's rejection of a Registration: errors.Is(err,
// ErrRejected) holds, and Causes (also reachable with errors.As on
// wire.ErrorCause) say why.
type RejectedError struct {
	PoolHandle wire.PoolHandle
	PE         wire.PEIdentifier
	ServerID   uint32 // the rejecting registrar, when known (0 otherwise)
	Causes     []wire.ErrorCause
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("registration of PE %v in pool %v rejected by registrar: %s",
		e.PE, e.PoolHandle, causesString(e.Causes))
}

// Is makes errors.Is(err, ErrRejected) hold.
func (e *RejectedError) Is(target error) bool { return target == ErrRejected }

// Unwrap returns the causes, so errors.As(err, &wire.ErrorCause{}) works.
func (e *RejectedError) Unwrap() []error { return causesErrors(e.Causes) }

// HasCause reports whether the rejection carries cause code c.
func (e *RejectedError) HasCause(c wire.CauseCode) bool { return hasCause(e.Causes, c) }

// ResolutionError is a registrar's error answer to a Handle Resolution.
type ResolutionError struct {
	PoolHandle wire.PoolHandle
	Causes     []wire.ErrorCause
}

func (e *ResolutionError) Error() string {
	return fmt.Sprintf("handle resolution of pool %v failed: %s", e.PoolHandle, causesString(e.Causes))
}

// Is makes errors.Is(err, ErrResolution) hold.
func (e *ResolutionError) Is(target error) bool { return target == ErrResolution }

// Unwrap returns the causes.
func (e *ResolutionError) Unwrap() []error { return causesErrors(e.Causes) }

// HasCause reports whether the answer carries cause code c.
func (e *ResolutionError) HasCause(c wire.CauseCode) bool { return hasCause(e.Causes, c) }

func causesString(cs []wire.ErrorCause) string {
	if len(cs) == 0 {
		return "no cause given"
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.Code.String()
	}
	return strings.Join(parts, ", ")
}

func causesErrors(cs []wire.ErrorCause) []error {
	out := make([]error, len(cs))
	for i, c := range cs {
		out[i] = c
	}
	return out
}

func hasCause(cs []wire.ErrorCause, c wire.CauseCode) bool {
	for _, x := range cs {
		if x.Code == c {
			return true
		}
	}
	return false
}
