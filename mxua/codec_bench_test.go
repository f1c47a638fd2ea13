package mxua

import (
	"testing"

	"github.com/wmnsk/go-m3ua/messages"
)

// benchDATA is a DATA with a Routing Context and a 100-byte ISUP IAM-sized
// payload, the SG's hot path.
func benchDATA(b *testing.B) []byte {
	payload := make([]byte, 100)
	for i := range payload {
		payload[i] = byte(i)
	}
	wire, err := Encode(&Message{Protocol: M3UA, Kind: KindDATA, RoutingContexts: []uint32{1},
		ProtocolData: &ProtocolData{OPC: 0x101, DPC: 0x202, SI: 5, NI: 2, SLS: 9, Payload: payload}})
	if err != nil {
		b.Fatal(err)
	}
	return wire
}

func BenchmarkM3UADataDecodeEncode(b *testing.B) {
	wire := benchDATA(b)
	out := make([]byte, 0, 256)
	b.ReportAllocs()
	b.SetBytes(int64(len(wire)))
	for b.Loop() {
		m, err := Decode(M3UA, wire)
		if err != nil {
			b.Fatal(err)
		}
		if out, err = AppendMessage(out[:0], m); err != nil {
			b.Fatal(err)
		}
	}
}

// The same round trip through go-m3ua v0.1.10, for the comparison in
// codec.go's comment.
func BenchmarkM3UADataDecodeEncodeGoM3UA(b *testing.B) {
	wire := benchDATA(b)
	out := make([]byte, 256)
	b.ReportAllocs()
	b.SetBytes(int64(len(wire)))
	for b.Loop() {
		gm, err := messages.Parse(wire)
		if err != nil {
			b.Fatal(err)
		}
		d := gm.(*messages.Data)
		if _, err := d.ProtocolData.ProtocolData(); err != nil {
			b.Fatal(err)
		}
		d.SetLength()
		if err := d.MarshalTo(out); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSUACLDTDecodeEncode(b *testing.B) {
	wire := cdcHex(suaCLGoldens[0].hex)
	out := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		m, err := Decode(SUA, wire)
		if err != nil {
			b.Fatal(err)
		}
		if out, err = AppendMessage(out[:0], m); err != nil {
			b.Fatal(err)
		}
	}
}
