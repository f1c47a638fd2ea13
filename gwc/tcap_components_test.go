package gwc

import (
	"bytes"
	"testing"
)

func TestAnswerComponents(t *testing.T) {
	cases := []struct {
		name     string
		in, want []byte
	}{
		{"invoke with parameter", invoke1, result1},
		// MAP-style invoke with a long parameter (mxua/tcap's sample).
		{"invoke, long form", hx(`a1 1d 02 01 00 02 01 2d 30 15 80 07 91 97 20 78 76 83 f6 81 01 01 82 07 91 97 20 73 00 05 f8`),
			hx(`a2 08 02 01 00 30 03 02 01 2d`)},
		{"invoke without parameter", hx(`a1 06 02 01 05 02 01 10`), hx(`a2 08 02 01 05 30 03 02 01 10`)},
		{"linked invoke, global opcode", hx(`a1 0b 02 01 02 80 01 01 06 03 2a 03 04`), hx(`a2 0a 02 01 02 30 05 06 03 2a 03 04`)},
		{"two invokes", append(append([]byte{}, invoke1...), hx(`a1 06 02 01 05 02 01 10`)...), append(append([]byte{}, result1...), hx(`a2 08 02 01 05 30 03 02 01 10`)...)},
		{"return result only", result1, nil},
		{"invoke without opcode", hx(`a1 03 02 01 01`), nil},
		{"truncated", invoke1[:5], nil},
		{"indefinite length", hx(`a1 80 02 01 01 00 00`), nil},
		{"high tag number", hx(`bf 1f 00`), nil},
		{"empty", nil, nil},
	}
	for _, tc := range cases {
		if got := answerComponents(tc.in); !bytes.Equal(got, tc.want) {
			t.Errorf("%s: % x, want % x", tc.name, got, tc.want)
		}
	}
}

func TestAnswerDialogue(t *testing.T) {
	if got := answerDialogue(aarq); !bytes.Equal(got, aare) {
		t.Fatalf("AARE % x, want % x", got, aare)
	}
	for name, dp := range map[string][]byte{
		"empty":           nil,
		"AARE, not AARQ":  aare,
		"unidialogue OID": hx(`28 1c 06 07 00 11 86 05 01 02 01 a0 11 60 0f 80 02 07 80 a1 09 06 07 04 00 00 01 00 14 03`),
		"no context name": hx(`28 13 06 07 00 11 86 05 01 01 01 a0 08 60 06 80 02 07 80 00 00`),
		"truncated":       aarq[:20],
		"trailing bytes":  append(append([]byte{}, aarq...), 0),
	} {
		if got := answerDialogue(dp); got != nil {
			t.Errorf("%s: answered % x", name, got)
		}
	}
}
