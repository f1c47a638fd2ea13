package wire

import "testing"

var serverAnnounceGoldens = []messageGolden{
	{&ServerAnnounce{ServerID: 0xaabbccdd}, "0a 00 0008 aabbccdd"},
	{&ServerAnnounce{ServerID: 0xaabbccdd, Transports: []Transport{
		{Kind: TransportSCTP, Port: 3863, Use: TransportUseDataPlusControl, Addresses: addrs("10.0.0.1")},
		{Kind: TransportTCP, Port: 3863, Addresses: addrs("10.0.0.1")},
	}}, "0a 00 0028 aabbccdd" + hexSCTPASAP + "0005 0010 0f17 0000 0001 0008 0a000001"},
}

func TestServerAnnounceGoldens(t *testing.T) { checkMessageGoldens(t, serverAnnounceGoldens) }
