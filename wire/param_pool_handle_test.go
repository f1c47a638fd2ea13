package wire

import "testing"

func TestPoolHandleGolden(t *testing.T) {
	checkParamGolden(t, PoolHandle("gwc-pool"), hexPoolHandle)
	checkParamGolden(t, PoolHandle("sg1"), "0009 0007 736731 00")
	checkParamGolden(t, PoolHandle(nil), "0009 0004")
}

func TestPoolHandleDecodeCopies(t *testing.T) {
	in := hx(hexPoolHandle)
	p, _, _, err := DecodeParameter(in)
	if err != nil {
		t.Fatal(err)
	}
	in[4] = 'X'
	if string(p.(PoolHandle)) != "gwc-pool" {
		t.Fatal("decoded handle aliases the input")
	}
}

func TestPoolHandleString(t *testing.T) {
	if s := PoolHandle("gwc-pool").String(); s != "gwc-pool" {
		t.Fatal(s)
	}
	if s := (PoolHandle{0, 0xff}).String(); s != "0x00ff" {
		t.Fatal(s)
	}
}
