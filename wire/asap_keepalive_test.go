package wire

import "testing"

var keepAliveGoldens = []messageGolden{
	{&EndpointKeepAlive{ServerID: 0xaabbccdd, PoolHandle: PoolHandle("gwc-pool")},
		"07 00 0014 aabbccdd" + hexPoolHandle},
	{&EndpointKeepAlive{Home: true, ServerID: 0xaabbccdd, PoolHandle: PoolHandle("gwc-pool"), PEIdentifier: pePtr(0x1234)},
		"07 01 001c aabbccdd" + hexPoolHandle + hexPEID},
	{&EndpointKeepAliveAck{PoolHandle: PoolHandle("gwc-pool"), PEIdentifier: 0x1234},
		"08 00 0018" + hexPoolHandle + hexPEID},
	{&EndpointUnreachable{PoolHandle: PoolHandle("gwc-pool"), PEIdentifier: 0x1234},
		"09 00 0018" + hexPoolHandle + hexPEID},
}

func TestKeepAliveGoldens(t *testing.T) { checkMessageGoldens(t, keepAliveGoldens) }
