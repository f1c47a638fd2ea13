package mxua

import (
	"bytes"
	"testing"

	"github.com/wmnsk/go-m3ua/messages"
	"github.com/wmnsk/go-m3ua/messages/params"
)

// go-m3ua v0.1.10 is a second opinion on our M3UA bytes: it must parse
// every golden it knows and re-marshal it byte for byte. RKM it lacks.
func TestGoM3UAParsesOurGoldens(t *testing.T) {
	for _, g := range allCodecGoldens(M3UA) {
		if g.m.Kind.Class() == ClassRKM {
			continue
		}
		t.Run(g.name, func(t *testing.T) {
			b := cdcHex(g.hex)
			gm, err := messages.Parse(b)
			if err != nil {
				t.Fatalf("go-m3ua Parse: %v", err)
			}
			if _, generic := gm.(*messages.Generic); generic {
				t.Fatalf("go-m3ua parsed %v as Generic", g.m.Kind)
			}
			if gm.MessageClass() != g.m.Kind.Class() || gm.MessageType() != g.m.Kind.Type() {
				t.Fatalf("go-m3ua class/type %d/%d", gm.MessageClass(), gm.MessageType())
			}
			out, err := messages.MarshalBinary(gm)
			if err != nil {
				t.Fatalf("go-m3ua MarshalBinary: %v", err)
			}
			if !bytes.Equal(out, b) {
				t.Errorf("go-m3ua re-marshals\n got % x\nwant % x", out, b)
			}
		})
	}
}

// And what go-m3ua builds, we decode to the same message.
func TestWeDecodeGoM3UAOutput(t *testing.T) {
	data, _ := messages.NewData(nil, params.NewRoutingContext(1),
		params.NewProtocolData(1, 2, 5, 2, 0, 7, []byte{1, 2, 3}), params.NewCorrelationID(9)).MarshalBinary()
	up, _ := messages.NewAspUp(params.NewAspIdentifier(1), nil).MarshalBinary()
	ac, _ := messages.NewAspActive(params.NewTrafficModeType(params.TrafficModeLoadshare), params.NewRoutingContext(1, 2), nil).MarshalBinary()
	duna, _ := messages.NewDestinationUnavailable(nil, params.NewRoutingContext(1),
		params.NewAffectedPointCode(0x0102, 0x1234), params.NewInfoString("x")).MarshalBinary()
	for _, c := range []struct {
		name string
		b    []byte
		want *Message
	}{
		{"DATA", data, m3uaTransferGoldens[0].m},
		{"ASPUP", up, m3uaASPSMGoldens[0].m},
		{"ASPAC", ac, m3uaASPTMGoldens[0].m},
		{"DUNA", duna, &Message{Protocol: M3UA, Kind: KindDUNA, RoutingContexts: []uint32{1},
			AffectedPointCodes: []AffectedPointCode{{PointCode: 0x0102}, {PointCode: 0x1234}}, InfoString: "x"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Decode(M3UA, c.b)
			if err != nil {
				t.Fatalf("Decode % x: %v", c.b, err)
			}
			if dumpMessage(got) != dumpMessage(c.want) {
				t.Fatalf("got %s\nwant %s", dumpMessage(got), dumpMessage(c.want))
			}
		})
	}
}

// The go-m3ua v0.1.10 bugs our own decoder exists for, pinned so that an
// upgrade that fixes them shows up here; each input must draw the right
// ERR code from Decode.
func TestGoM3UAKnownBugs(t *testing.T) {
	t.Run("class-type-collision", func(t *testing.T) {
		// Class 0 type 0x11 is no message; go-m3ua keys class<<4|type and
		// so reads it as DATA (class 1 type 1).
		b := cdcHex("01000011 00000008")
		gm, err := messages.Parse(b)
		if err != nil {
			t.Fatalf("go-m3ua: %v", err)
		}
		if _, ok := gm.(*messages.Data); !ok {
			t.Errorf("go-m3ua now parses class 0 type 0x11 as %T: bug fixed?", gm)
		}
		_, err = Decode(M3UA, b)
		wantDecodeError(t, err, ErrUnknownType, ErrUnsupportedMessageType, 3)
	})
	t.Run("version-unchecked", func(t *testing.T) {
		b := cdcHex("02000304 00000008")
		if _, err := messages.Parse(b); err != nil {
			t.Errorf("go-m3ua now checks the version: %v", err)
		}
		_, err := Decode(M3UA, b)
		wantDecodeError(t, err, ErrVersion, ErrInvalidVersion, 0)
	})
	t.Run("length-unchecked", func(t *testing.T) {
		b := cdcHex("01000304 000000ff")
		if _, err := messages.Parse(b); err != nil {
			t.Errorf("go-m3ua now checks the message length: %v", err)
		}
		_, err := Decode(M3UA, b)
		wantDecodeError(t, err, ErrLength, ErrProtocolError, 4)
	})
	t.Run("empty-routing-context-panics", func(t *testing.T) {
		// ASPAC with an empty Routing Context: Parse accepts it and
		// RoutingContext() indexes an empty slice.
		b := cdcHex("01000401 0000000c 00060004")
		gm, err := messages.Parse(b)
		if err != nil {
			t.Fatalf("go-m3ua: %v", err)
		}
		panicked := func() (p bool) {
			defer func() { p = recover() != nil }()
			gm.(*messages.AspActive).RoutingContext.RoutingContext()
			return
		}()
		if !panicked {
			t.Errorf("go-m3ua RoutingContext() no longer panics on an empty parameter")
		}
		_, err = Decode(M3UA, b)
		wantDecodeError(t, err, ErrLength, ErrParameterFieldError, 8)
	})
	t.Run("short-fixed-parameter-reads-zero", func(t *testing.T) {
		b := cdcHex("01000301 0000000e 00110006 0007 0000")
		gm, err := messages.Parse(b[:14])
		if err == nil {
			if id := gm.(*messages.AspUp).AspIdentifier.AspIdentifier(); id != 0 {
				t.Errorf("go-m3ua reads a 2-byte ASP Identifier as %d", id)
			}
		}
		_, err = Decode(M3UA, b[:14])
		wantDecodeError(t, err, ErrLength, ErrParameterFieldError, 8)
	})
}
