package wire

import (
	"errors"
	"reflect"
	"testing"
)

const hexOperationError = "000c 001c 0001 000b 40550007 aabbcc 00 0004 0004 f003 0007 010203 00"

func goldenOperationError() OperationError {
	return OperationError{Causes: []ErrorCause{
		{Code: CauseUnrecognizedParameter, Info: []byte{0x40, 0x55, 0x00, 0x07, 0xaa, 0xbb, 0xcc}},
		{Code: CauseNonUniquePEIdentifier},
		{Code: 0xf003, Info: []byte{1, 2, 3}}, // RSPLIB-internal code
	}}
}

func TestOperationErrorGolden(t *testing.T) {
	checkParamGolden(t, goldenOperationError(), hexOperationError)
	checkParamGolden(t, OperationError{}, "000c 0004")
}

// RSPLIB leaves the padding of the last cause outside the parameter length.
func TestOperationErrorLastCauseUnpadded(t *testing.T) {
	p, n, _, err := DecodeParameter(hx("000c 001b 0001 000b 40550007 aabbcc 00 0004 0004 f003 0007 010203 00"))
	if err != nil || n != 28 {
		t.Fatal(n, err)
	}
	if !reflect.DeepEqual(p, goldenOperationError()) {
		t.Fatalf("%#v", p)
	}
}

func TestOperationErrorMalformed(t *testing.T) {
	for _, tc := range []struct {
		in     string
		reason error
		offset int
	}{
		{"000c 0006 0001 ", ErrTruncated, 4}, // 2 bytes of cause header
		{"000c 0008 0001 0002", ErrLength, 4},
		{"000c 0008 0001 0008", ErrLength, 4},
		{"000c 000b 0001 0005 aa bbcc 00", ErrPadding, 4}, // a cause that is not last lacks padding
	} {
		_, _, _, err := DecodeParameter(hx(tc.in))
		var de *DecodeError
		if !errors.As(err, &de) || !errors.Is(err, tc.reason) || de.Offset != tc.offset || de.Param != ParamOperationError {
			t.Errorf("%s: %v", tc.in, err)
		}
	}
}

func TestErrorCauseHelpers(t *testing.T) {
	c := UnrecognizedParameterCause(hx("4055 0007 aabbcc"))
	p, err := c.Parameter()
	if err != nil {
		t.Fatal(err)
	}
	if u := p.(UnknownParameter); u.Type != 0x4055 || string(u.Value) != "\xaa\xbb\xcc" {
		t.Fatalf("%#v", p)
	}
	if _, err := (ErrorCause{Code: CauseLackOfResources}).Parameter(); !errors.Is(err, ErrInvalidValue) {
		t.Fatal(err)
	}
	m := UnrecognizedMessageCause(hx("3f00 0004"))
	if m.Code != CauseUnrecognizedMessage || len(m.Info) != 4 {
		t.Fatal(m)
	}
	var err2 error = ErrorCause{Code: 0x10}
	if err2.Error() != "rserpool: unknown cause 0x0010" {
		t.Fatal(err2)
	}
	if c.Error() != "rserpool: unrecognized parameter (7 bytes of information)" {
		t.Fatal(c.Error())
	}
	if s := goldenOperationError().String(); s != "operation error: unrecognized parameter, non-unique PE identifier, unknown cause 0xf003" {
		t.Fatal(s)
	}
	if _, err := (OperationError{Causes: []ErrorCause{{Code: 1, Info: make([]byte, 0x10000)}}}).AppendTo(nil); !errors.Is(err, ErrTooLong) {
		t.Fatal(err)
	}
}
