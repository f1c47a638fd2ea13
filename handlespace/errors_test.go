package handlespace

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sigpool/sigpool/wire"
)

func TestErrorCarriesCauseAndContext(t *testing.T) {
	err := error(&Error{Op: "register", Namespace: "ns", PoolHandle: wire.PoolHandle("gwc"), PE: 0x2a,
		Reason: ErrPolicyInconsistent, Detail: "pool uses Round Robin"})
	wrapped := fmt.Errorf("asap: %w", err)
	if c, ok := CauseOf(wrapped); !ok || c != wire.CauseInconsistentPoolingPolicy {
		t.Errorf("CauseOf = %v, %v", c, ok)
	}
	if !errors.Is(wrapped, ErrPolicyInconsistent) {
		t.Error("errors.Is failed")
	}
	for _, want := range []string{"register", "$0000002a", `"gwc"`, `"ns"`, "pooling policy inconsistent", "Round Robin"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err.Error(), want)
		}
	}
	if _, ok := CauseOf(errors.New("other")); ok {
		t.Error("CauseOf(other) reported a cause")
	}
	for reason, code := range map[error]wire.CauseCode{
		ErrInvalidValues: 0x3, ErrNonUniquePEIdentifier: 0x4, ErrPolicyInconsistent: 0x5, ErrLackOfResources: 0x6,
		ErrInconsistentTransport: 0x7, ErrInconsistentDataControl: 0x8, ErrUnknownPoolHandle: 0x9,
	} {
		if (&Error{Reason: reason}).Cause() != code {
			t.Errorf("%v: cause mismatch", reason)
		}
	}
}
