package mxua

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// codecGolden is a message with its hand-checked wire form.
type codecGolden struct {
	name string
	m    *Message
	hex  string
}

func cdcHex(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}

func cdcU32(v uint32) *uint32 { return &v }
func cdcU8(v uint8) *uint8    { return &v }

// allCodecGoldens returns every golden of protocol p.
func allCodecGoldens(p Protocol) []codecGolden {
	var sets [][]codecGolden
	if p == M3UA {
		sets = [][]codecGolden{m3uaMgmtGoldens, m3uaTransferGoldens, m3uaSSNMGoldens, m3uaASPSMGoldens, m3uaASPTMGoldens, m3uaRKMGoldens}
	} else {
		sets = [][]codecGolden{suaMgmtGoldens, suaSSNMGoldens, suaASPSMGoldens, suaASPTMGoldens, suaCLGoldens, suaCOGoldens, suaRKMGoldens}
	}
	var all []codecGolden
	for _, s := range sets {
		all = append(all, s...)
	}
	return all
}

// runCodecGoldens checks that each golden encodes to its bytes, through
// both Encode and AppendMessage onto a non-empty buffer, and decodes back
// to the same message.
func runCodecGoldens(t *testing.T, gs []codecGolden) {
	t.Helper()
	for _, g := range gs {
		t.Run(g.name, func(t *testing.T) {
			want := cdcHex(g.hex)
			got, err := Encode(g.m)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("Encode:\n got % x\nwant % x", got, want)
			}
			prefix := []byte{0xaa, 0xbb, 0xcc}
			app, err := AppendMessage(append([]byte(nil), prefix...), g.m)
			if err != nil || !bytes.Equal(app[:3], prefix) || !bytes.Equal(app[3:], want) {
				t.Fatalf("AppendMessage: % x, %v", app, err)
			}
			dec, err := Decode(g.m.Protocol, want)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(dec, g.m) {
				t.Fatalf("Decode:\n got %s\nwant %s", dumpMessage(dec), dumpMessage(g.m))
			}
			// The decoded message must not alias the input.
			for i := range want {
				want[i] ^= 0xff
			}
			if !reflect.DeepEqual(dec, g.m) {
				t.Fatalf("decoded message changed with its input buffer")
			}
		})
	}
}

func dumpMessage(m *Message) string {
	var s strings.Builder
	v := reflect.ValueOf(m).Elem()
	dumpValue(&s, v)
	return s.String()
}

func dumpValue(s *strings.Builder, v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			s.WriteString("nil")
			return
		}
		s.WriteString("&")
		dumpValue(s, v.Elem())
	case reflect.Struct:
		if v.Type().String() == "netip.Addr" {
			s.WriteString(v.Interface().(interface{ String() string }).String())
			return
		}
		s.WriteString("{")
		for i := range v.NumField() {
			f := v.Field(i)
			if f.IsZero() {
				continue
			}
			s.WriteString(v.Type().Field(i).Name + ":")
			dumpValue(s, f)
			s.WriteString(" ")
		}
		s.WriteString("}")
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			s.WriteString(hex.EncodeToString(v.Bytes()))
			return
		}
		s.WriteString("[")
		for i := range v.Len() {
			dumpValue(s, v.Index(i))
			s.WriteString(" ")
		}
		s.WriteString("]")
	default:
		fmt.Fprintf(s, "%v", v.Interface())
	}
}

// wantDecodeError checks the error's reason, code and offset.
func wantDecodeError(t *testing.T, err error, reason error, code ErrorCode, off int) *DecodeError {
	t.Helper()
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatalf("error %v (%T), want *DecodeError", err, err)
	}
	if !errors.Is(err, reason) || de.Code != code || (off >= 0 && de.Offset != off) {
		t.Fatalf("got %v (reason %v, code 0x%02x, offset %d), want reason %v, code 0x%02x, offset %d",
			err, de.Reason, uint32(de.Code), de.Offset, reason, uint32(code), off)
	}
	return de
}
