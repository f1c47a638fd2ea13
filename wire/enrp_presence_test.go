package wire

import "testing"

func goldenServerInfoPtr() *ServerInformation {
	si := goldenServerInfo()
	return &si
}

var presenceGoldens = []messageGolden{
	{&Presence{ReplyRequired: true, SenderServerID: 0x11111111, ReceiverServerID: 0x22222222, PEChecksum: 0x434b, ServerInformation: goldenServerInfoPtr()},
		"01 01 002c 11111111 22222222 000f 0006 434b 0000" + hexServerInfo},
	{&Presence{SenderServerID: 0x11111111, PEChecksum: 0xffff},
		"01 00 0014 11111111 00000000 000f 0006 ffff 0000"},
}

func TestPresenceGoldens(t *testing.T) { checkMessageGoldens(t, presenceGoldens) }
