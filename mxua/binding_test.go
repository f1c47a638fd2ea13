package mxua

import (
	"bytes"
	"errors"
	"testing"

	"github.com/sigpool/sigpool/mxua/isup"
	"github.com/sigpool/sigpool/mxua/sccp"
	"github.com/sigpool/sigpool/mxua/tcap"
)

// Point codes of the SS7-side node (an STP/SEP) and of the pool (the GWCs'
// shared point code) in the binding tests.
const (
	bndSS7PC  = 0x0101
	bndPoolPC = 0x0202
)

func bndISUP(t testing.TB, m isup.Message) []byte {
	t.Helper()
	b, err := isup.Marshal(m)
	if err != nil {
		t.Fatalf("isup.Marshal: %v", err)
	}
	return b
}

// bndDATA wraps payload in an M3UA DATA going direction d between the
// binding tests' point codes.
func bndDATA(d Direction, si, sls uint8, payload []byte) *Message {
	opc, dpc := uint32(bndSS7PC), uint32(bndPoolPC)
	if d == FromPool {
		opc, dpc = dpc, opc
	}
	return &Message{Protocol: M3UA, Kind: KindDATA, RoutingContexts: []uint32{1},
		ProtocolData: &ProtocolData{OPC: opc, DPC: dpc, SI: si, NI: 2, SLS: sls, Payload: payload}}
}

func bndTCAP(t testing.TB, typ tcap.MessageType, otid, dtid uint32) []byte {
	t.Helper()
	m := &tcap.Message{Type: typ, Components: []byte{0xa1, 0x03, 0x02, 0x01, 0x01}}
	if otid != 0 {
		m.OTID = tcap.TIDUint32(otid)
	}
	if dtid != 0 {
		m.DTID = tcap.TIDUint32(dtid)
	}
	if typ == tcap.Abort {
		m.Components = nil
	}
	b, err := tcap.Marshal(m)
	if err != nil {
		t.Fatalf("tcap.Marshal: %v", err)
	}
	return b
}

func bndUDT(t testing.TB, calledSSN uint8, data []byte) []byte {
	t.Helper()
	pc1, pc2, ssn2 := uint16(bndSS7PC), uint16(bndPoolPC), uint8(8)
	u := &sccp.UDT{
		CalledParty:  sccp.Address{RoutingIndicator: sccp.RouteOnSSN, PointCode: &pc2, SSN: &calledSSN},
		CallingParty: sccp.Address{RoutingIndicator: sccp.RouteOnSSN, PointCode: &pc1, SSN: &ssn2},
		Data:         data,
	}
	b, err := sccp.Marshal(u)
	if err != nil {
		t.Fatalf("sccp.Marshal: %v", err)
	}
	return b
}

// bndCLDT is a SUA CLDT (or CLDR) in direction d carrying data.
func bndCLDT(d Direction, kind Kind, seq uint32, data []byte) *Message {
	src, dst := cdcAddrPC(bndSS7PC, 8), cdcAddrPC(bndPoolPC, 6)
	if d == FromPool {
		src, dst = dst, src
	}
	s := &SUAData{Source: src, Destination: dst, Data: data}
	if kind == KindCLDT {
		s.ProtocolClass, s.SequenceControl = 1, seq
	} else {
		s.SCCPCause = cdcU32(0x0101)
	}
	return &Message{Protocol: SUA, Kind: kind, RoutingContexts: []uint32{1}, SUA: s}
}

func TestBindingISUPCall(t *testing.T) {
	const cic = 0x123
	cases := []struct {
		name         string
		d            Direction
		m            isup.Message
		begins, ends bool
	}{
		{"IAM", FromSS7, &isup.IAM{CIC: cic, CalledPartyNumber: isup.CalledPartyNumber{NatureOfAddress: 3, NumberingPlan: 1, Digits: "4930123"}}, true, false},
		{"ACM", FromPool, &isup.ACM{CIC: cic, BackwardCall: 0x1416}, false, false},
		{"ANM", FromPool, &isup.ANM{CIC: cic}, false, false},
		{"REL", FromSS7, &isup.REL{CIC: cic, Cause: isup.CauseIndicators{Location: isup.LocationPublicLocal, Value: isup.CauseNormalClearing}}, false, false},
		{"RLC", FromPool, &isup.RLC{CIC: cic}, false, true},
		{"REL from pool", FromPool, &isup.REL{CIC: cic, Cause: isup.CauseIndicators{Value: isup.CauseUserBusy}}, false, false},
		{"RLC from SS7", FromSS7, &isup.RLC{CIC: cic}, false, true},
	}
	want := BindingKey{Kind: BindingCircuit, SS7PC: bndSS7PC, PoolPC: bndPoolPC, ID: cic}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msg := bndDATA(c.d, 5, 7, bndISUP(t, c.m))
			// Decode the wire form: the binding must be read from what
			// arrives, not from what was built.
			wire, err := Encode(msg)
			if err != nil {
				t.Fatal(err)
			}
			m, err := Decode(M3UA, wire)
			if err != nil {
				t.Fatal(err)
			}
			b, err := BindingOf(m, c.d)
			if err != nil {
				t.Fatalf("BindingOf: %v", err)
			}
			if b.Kind != BindingCircuit || b.CIC != cic || b.SLS != 7 || b.SS7PC != bndSS7PC || b.PoolPC != bndPoolPC {
				t.Fatalf("binding %+v", b)
			}
			if b.Begins != c.begins || b.Ends != c.ends {
				t.Fatalf("begins/ends %v/%v, want %v/%v", b.Begins, b.Ends, c.begins, c.ends)
			}
			k, ok := b.Key()
			if !ok || k != want {
				t.Fatalf("Key %v %v, want %v", k, ok, want)
			}
		})
	}
}

// A TCAP dialogue opened by the SS7 side (Begin from SS7, Continue from
// the pool, Continue from SS7, End from the pool) keeps one key, the SS7
// side's TID, in every message.
func TestBindingTCAPDialogueFromSS7(t *testing.T) {
	const ss7TID, poolTID = 0x11223344, 0xa0b0c0d0
	steps := []struct {
		name         string
		d            Direction
		typ          tcap.MessageType
		otid, dtid   uint32
		begins, ends bool
	}{
		{"Begin", FromSS7, tcap.Begin, ss7TID, 0, true, false},
		{"Continue from pool", FromPool, tcap.Continue, poolTID, ss7TID, false, false},
		{"Continue from SS7", FromSS7, tcap.Continue, ss7TID, poolTID, false, false},
		{"End from pool", FromPool, tcap.End, 0, ss7TID, false, true},
		{"Abort from pool", FromPool, tcap.Abort, 0, ss7TID, false, true},
	}
	want := BindingKey{Kind: BindingTransaction, SS7PC: bndSS7PC, PoolPC: bndPoolPC, ID: ss7TID}
	for _, s := range steps {
		payload := bndTCAP(t, s.typ, s.otid, s.dtid)
		for _, carrier := range []string{"M3UA DATA UDT", "SUA CLDT"} {
			t.Run(s.name+" in "+carrier, func(t *testing.T) {
				var m *Message
				if carrier == "SUA CLDT" {
					m = bndCLDT(s.d, KindCLDT, 3, payload)
				} else {
					ssn := uint8(6)
					if s.d == FromPool {
						ssn = 8
					}
					m = bndDATA(s.d, 3, 3, bndUDT(t, ssn, payload))
				}
				b, err := BindingOf(m, s.d)
				if err != nil {
					t.Fatalf("BindingOf: %v", err)
				}
				if b.Kind != BindingTransaction || b.SLS != 3 || b.Begins != s.begins || b.Ends != s.ends {
					t.Fatalf("binding %+v", b)
				}
				if !b.HasSS7TID || b.SS7TID != ss7TID {
					t.Fatalf("SS7 TID %v %x", b.HasSS7TID, b.SS7TID)
				}
				if s.typ == tcap.Continue && (!b.HasPoolTID || b.PoolTID != poolTID) {
					t.Fatalf("pool TID %v %x", b.HasPoolTID, b.PoolTID)
				}
				if k, ok := b.Key(); !ok || k != want {
					t.Fatalf("Key %v %v, want %v", k, ok, want)
				}
			})
		}
	}
}

// A dialogue the pool opens: its Begin and the SS7 side's End carry only
// the pool's TID, so no key comes from them alone; the SS7 side's Continue
// carries both.
func TestBindingTCAPDialogueFromPool(t *testing.T) {
	const ss7TID, poolTID = 0x0badcafe, 0x00000042
	b, err := BindingOf(bndDATA(FromPool, 3, 1, bndUDT(t, 6, bndTCAP(t, tcap.Begin, poolTID, 0))), FromPool)
	if err != nil {
		t.Fatal(err)
	}
	if !b.Begins || !b.HasPoolTID || b.PoolTID != poolTID || b.HasSS7TID {
		t.Fatalf("pool Begin %+v", b)
	}
	if _, ok := b.Key(); ok {
		t.Fatal("pool Begin has a key")
	}
	b, err = BindingOf(bndDATA(FromSS7, 3, 1, bndUDT(t, 8, bndTCAP(t, tcap.Continue, ss7TID, poolTID))), FromSS7)
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := b.Key(); !ok || k.ID != ss7TID || b.PoolTID != poolTID {
		t.Fatalf("SS7 Continue %+v key %v %v", b, k, ok)
	}
	b, err = BindingOf(bndDATA(FromSS7, 3, 1, bndUDT(t, 8, bndTCAP(t, tcap.End, 0, poolTID))), FromSS7)
	if err != nil {
		t.Fatal(err)
	}
	if !b.Ends || b.HasSS7TID || b.PoolTID != poolTID {
		t.Fatalf("SS7 End %+v", b)
	}
	if _, ok := b.Key(); ok {
		t.Fatal("an SS7-side End with only the pool TID has a key")
	}
}

func TestBindingTCAPUnidirectionalFallsBackToSLS(t *testing.T) {
	b, err := BindingOf(bndDATA(FromSS7, 3, 9, bndUDT(t, 6, bndTCAP(t, tcap.Unidirectional, 0, 0))), FromSS7)
	if err != nil {
		t.Fatal(err)
	}
	if b.Kind != BindingTransaction || !b.Ends || b.HasSS7TID || b.HasPoolTID {
		t.Fatalf("binding %+v", b)
	}
	want := BindingKey{Kind: BindingSLS, SS7PC: bndSS7PC, PoolPC: bndPoolPC, ID: 9}
	if k, ok := b.Key(); !ok || k != want {
		t.Fatalf("Key %v %v, want %v", k, ok, want)
	}
}

// A CLDR returns a message the pool sent: the TIDs are read as the pool's,
// and the returned Begin opens nothing.
func TestBindingSUACLDRReturnedBegin(t *testing.T) {
	const poolTID = 0x77
	b, err := BindingOf(bndCLDT(FromSS7, KindCLDR, 0, bndTCAP(t, tcap.Begin, poolTID, 0)), FromSS7)
	if err != nil {
		t.Fatal(err)
	}
	if b.Kind != BindingTransaction || !b.HasPoolTID || b.PoolTID != poolTID || b.HasSS7TID || b.Begins || b.Ends {
		t.Fatalf("binding %+v", b)
	}
	if b.SS7PC != bndSS7PC || b.PoolPC != bndPoolPC {
		t.Fatalf("point codes %d/%d", b.SS7PC, b.PoolPC)
	}
}

func TestBindingSLSFallbacks(t *testing.T) {
	udts := []byte{0x0a, 0x01, 0x03, 0x05, 0x07, 0x02, 0x42, 0x08, 0x02, 0x42, 0x06, 0x01, 0x00}
	cases := []struct {
		name string
		m    *Message
		sls  uint8
	}{
		{"MTP3 SNM (SI 0)", bndDATA(FromSS7, 0, 4, []byte{0x11, 0x22}), 4},
		{"TUP (SI 4)", bndDATA(FromSS7, 4, 5, []byte{0x01}), 5},
		{"SCCP UDTS", bndDATA(FromSS7, 3, 6, udts), 6},
		{"SCCP connection request", bndDATA(FromSS7, 3, 7, []byte{0x01, 0x00, 0x00, 0x01, 0x02}), 7},
		{"SCMG UDT", bndDATA(FromSS7, 3, 8, bndUDT(t, 1, []byte{0x03, 0x06, 0x01, 0x00, 0x00})), 8},
		{"UDT with non-TCAP data", bndDATA(FromSS7, 3, 9, bndUDT(t, 254, []byte{0x00, 0x03, 0x01, 0x02, 0x03})), 9},
		{"UDT with empty data", bndDATA(FromSS7, 3, 10, bndUDT(t, 6, []byte{})), 10},
		{"SUA CLDT with non-TCAP data", bndCLDT(FromSS7, KindCLDT, 0x1b, []byte{0x01, 0x02}), 0x1b},
		{"SUA CORE", &Message{Protocol: SUA, Kind: KindCORE, SUA: &SUAData{ProtocolClass: 2, SequenceControl: 5,
			SourceReference: cdcU32(1), Source: cdcAddrPC(bndSS7PC, 8), Destination: cdcAddrPC(bndPoolPC, 6)}}, 0},
		{"SUA CODT", &Message{Protocol: SUA, Kind: KindCODT, SUA: &SUAData{DestReference: cdcU32(2), Data: []byte{0x62}}}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := BindingOf(c.m, FromSS7)
			if err != nil {
				t.Fatalf("BindingOf: %v", err)
			}
			if b.Kind != BindingSLS || b.SLS != c.sls || b.Begins || b.Ends {
				t.Fatalf("binding %+v", b)
			}
			k, ok := b.Key()
			if !ok || k.Kind != BindingSLS || k.ID != uint32(c.sls) {
				t.Fatalf("Key %v %v", k, ok)
			}
		})
	}
}

func TestBindingMalformed(t *testing.T) {
	tcapBad := []byte{0x62, 0x05, 0x48, 0x09, 0x01, 0x02, 0x03} // OTID length runs past the end
	cases := []struct {
		name string
		m    *Message
		d    Direction
	}{
		{"nil", nil, FromSS7},
		{"no direction", bndDATA(FromSS7, 5, 0, []byte{1, 0, 1}), 0},
		{"ASPUP", &Message{Protocol: M3UA, Kind: KindASPUP}, FromSS7},
		{"DATA without protocol data", &Message{Protocol: M3UA, Kind: KindDATA}, FromSS7},
		{"CLDT without SUA data", &Message{Protocol: SUA, Kind: KindCLDT}, FromSS7},
		{"ISUP of 2 bytes", bndDATA(FromSS7, 5, 0, []byte{1, 0}), FromSS7},
		{"ISUP empty", bndDATA(FromSS7, 5, 0, nil), FromSS7},
		{"SCCP empty", bndDATA(FromSS7, 3, 0, nil), FromSS7},
		{"UDT truncated", bndDATA(FromSS7, 3, 0, []byte{0x09, 0x00, 0x03}), FromSS7},
		{"UDT bad pointer", bndDATA(FromSS7, 3, 0, []byte{0x09, 0x00, 0x03, 0x05, 0xf0, 0x01, 0x02, 0x01, 0x02}), FromSS7},
		{"UDT with bad TCAP", bndDATA(FromSS7, 3, 0, bndUDT(t, 6, tcapBad)), FromSS7},
		{"CLDT with bad TCAP", bndCLDT(FromSS7, KindCLDT, 0, tcapBad), FromSS7},
		{"TCAP Begin without OTID", bndDATA(FromSS7, 3, 0, bndUDT(t, 6, []byte{0x62, 0x02, 0x6c, 0x00})), FromSS7},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := BindingOf(c.m, c.d)
			if err == nil {
				t.Fatalf("no error; binding %+v", b)
			}
			if !errors.Is(err, ErrBinding) {
				t.Fatalf("error %v does not wrap ErrBinding", err)
			}
			if b != (Binding{}) {
				t.Fatalf("binding %+v with the error", b)
			}
		})
	}
}

func TestBindingKeyBinary(t *testing.T) {
	keys := []BindingKey{
		{Kind: BindingCircuit, SS7PC: 1, PoolPC: 2, ID: isup.MaxCIC},
		{Kind: BindingTransaction, SS7PC: 0xffffffff, PoolPC: 0, ID: 0xdeadbeef},
		{Kind: BindingSLS, ID: 255},
	}
	for _, k := range keys {
		b, err := k.AppendBinary([]byte{0xee})
		if err != nil {
			t.Fatalf("%v: %v", k, err)
		}
		if len(b) != 1+BindingKeyLen || b[0] != 0xee {
			t.Fatalf("%v: % x", k, b)
		}
		got, err := ParseBindingKey(b[1:])
		if err != nil || got != k {
			t.Fatalf("%v: parsed %v, %v", k, got, err)
		}
		if k.String() == "" {
			t.Fatal("empty String")
		}
	}
	want := []byte{1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0x0f, 0xff}
	if b, _ := keys[0].AppendBinary(nil); !bytes.Equal(b, want) {
		t.Fatalf("wire form % x, want % x", b, want)
	}
	bad := []BindingKey{{}, {Kind: 4}, {Kind: BindingCircuit, ID: 0x1000}, {Kind: BindingSLS, ID: 256}}
	for _, k := range bad {
		if b, err := k.AppendBinary([]byte{1}); err == nil || len(b) != 1 {
			t.Fatalf("%v: appended % x, %v", k, b, err)
		}
	}
	for _, b := range [][]byte{nil, make([]byte, 12), make([]byte, 14), append([]byte{0}, make([]byte, 12)...), {9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}} {
		if k, err := ParseBindingKey(b); err == nil || !errors.Is(err, ErrBinding) {
			t.Fatalf("% x: parsed %v, %v", b, k, err)
		}
	}
}

func TestBindingCookie(t *testing.T) {
	k := BindingKey{Kind: BindingCircuit, SS7PC: bndSS7PC, PoolPC: bndPoolPC, ID: 17}
	c := BindingCookie{Key: k, State: []byte("answered")}
	w := c.Marshal()
	if string(w[:4]) != "SGPB" || w[4] != 1 || len(w) != 4+1+BindingKeyLen+len(c.State) {
		t.Fatalf("wire form % x", w)
	}
	got, err := ParseBindingCookie(w)
	if err != nil || got.Key != k || string(got.State) != "answered" {
		t.Fatalf("parsed %+v, %v", got, err)
	}
	w[len(w)-1] = 'X'
	if string(got.State) != "answered" {
		t.Fatal("parsed state aliases the input")
	}
	end, err := ParseBindingCookie(BindingCookie{Key: k}.Marshal())
	if err != nil || end.Key != k || len(end.State) != 0 {
		t.Fatalf("finished-call cookie %+v, %v", end, err)
	}
	good := BindingCookie{Key: k}.Marshal()
	for name, b := range map[string][]byte{
		"empty":     nil,
		"short":     good[:len(good)-1],
		"magic":     append([]byte("SGPX"), good[4:]...),
		"version":   append(append([]byte("SGPB"), 2), good[5:]...),
		"bad key":   BindingCookie{Key: BindingKey{Kind: BindingSLS, ID: 300}}.Marshal(),
		"none kind": BindingCookie{}.Marshal(),
	} {
		if c, err := ParseBindingCookie(b); err == nil || !errors.Is(err, ErrBinding) {
			t.Fatalf("%s: parsed %+v, %v", name, c, err)
		}
	}
}

// FuzzBindingOf feeds arbitrary M3UA and SUA bytes through the decoder and
// BindingOf in both directions: never a panic, an error or a binding whose
// key (if any) survives its binary form.
func FuzzBindingOf(f *testing.F) {
	f.Add(true, mustEncode(f, bndDATA(FromSS7, 5, 1, bndISUP(f, &isup.RLC{CIC: 5}))))
	f.Add(true, mustEncode(f, bndDATA(FromSS7, 3, 1, bndUDT(f, 6, bndTCAP(f, tcap.Continue, 1, 2)))))
	f.Add(false, mustEncode(f, bndCLDT(FromPool, KindCLDT, 2, bndTCAP(f, tcap.End, 0, 3))))
	f.Add(false, mustEncode(f, bndCLDT(FromSS7, KindCLDR, 0, bndTCAP(f, tcap.Begin, 3, 0))))
	f.Fuzz(func(t *testing.T, m3ua bool, b []byte) {
		p := SUA
		if m3ua {
			p = M3UA
		}
		m, err := Decode(p, b)
		if err != nil {
			return
		}
		for _, d := range []Direction{FromSS7, FromPool} {
			bd, err := BindingOf(m, d)
			if err != nil {
				if !errors.Is(err, ErrBinding) {
					t.Fatalf("error %v does not wrap ErrBinding", err)
				}
				continue
			}
			k, ok := bd.Key()
			if !ok {
				continue
			}
			w, err := k.AppendBinary(nil)
			if err != nil {
				t.Fatalf("key %v of %+v: %v", k, bd, err)
			}
			if k2, err := ParseBindingKey(w); err != nil || k2 != k {
				t.Fatalf("key %v parsed back as %v, %v", k, k2, err)
			}
		}
	})
}

func mustEncode(t testing.TB, m *Message) []byte {
	t.Helper()
	b, err := Encode(m)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return b
}

func TestBindingOfDoesNotAllocate(t *testing.T) {
	isupMsg := bndDATA(FromSS7, 5, 1, bndISUP(t, &isup.IAM{CIC: 9, CalledPartyNumber: isup.CalledPartyNumber{NumberingPlan: 1, Digits: "123"}}))
	tcapMsg := bndDATA(FromSS7, 3, 1, bndUDT(t, 6, bndTCAP(t, tcap.Continue, 1, 2)))
	for name, m := range map[string]*Message{"DATA+ISUP": isupMsg, "DATA+UDT+TCAP": tcapMsg} {
		if n := testing.AllocsPerRun(100, func() {
			if _, err := BindingOf(m, FromSS7); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("%s: %v allocations", name, n)
		}
	}
}

func BenchmarkBindingOf(b *testing.B) {
	cases := []struct {
		name string
		m    *Message
	}{
		{"DATA+ISUP", bndDATA(FromSS7, 5, 1, bndISUP(b, &isup.IAM{CIC: 9, CalledPartyNumber: isup.CalledPartyNumber{NumberingPlan: 1, Digits: "4930123"}}))},
		{"DATA+UDT+TCAP", bndDATA(FromSS7, 3, 1, bndUDT(b, 6, bndTCAP(b, tcap.Continue, 0x11223344, 0x55667788)))},
		{"SUA-CLDT+TCAP", bndCLDT(FromSS7, KindCLDT, 1, bndTCAP(b, tcap.Continue, 0x11223344, 0x55667788))},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bd, err := BindingOf(c.m, FromSS7)
				if err != nil {
					b.Fatal(err)
				}
				if _, ok := bd.Key(); !ok {
					b.Fatal("no key")
				}
			}
		})
	}
}
