package wire

import "testing"

var enrpErrorGoldens = []messageGolden{
	{&ENRPErrorMessage{SenderServerID: 0x22222222, ReceiverServerID: 0x11111111,
		Error: OperationError{Causes: []ErrorCause{UnrecognizedParameterCause(hx("4055 0007 aabbcc"))}}},
		"0a 00 001c 22222222 11111111 000c 0010 0001 000b 40550007 aabbcc 00"},
	{&ENRPErrorMessage{SenderServerID: 0x22222222, ReceiverServerID: 0x11111111, Error: goldenOperationError()},
		"0a 00 0028 22222222 11111111" + hexOperationError},
}

func TestENRPErrorGoldens(t *testing.T) { checkMessageGoldens(t, enrpErrorGoldens) }
