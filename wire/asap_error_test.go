package wire

import "testing"

var asapErrorGoldens = []messageGolden{
	{&ASAPErrorMessage{Error: OperationError{Causes: []ErrorCause{UnrecognizedParameterCause(hx("4055 0007 aabbcc"))}}},
		"0e 00 0014 000c 0010 0001 000b 40550007 aabbcc 00"},
	{&ASAPErrorMessage{Error: goldenOperationError()}, "0e 00 0020" + hexOperationError},
}

func TestASAPErrorGoldens(t *testing.T) { checkMessageGoldens(t, asapErrorGoldens) }
