package gwc

import (
	"bytes"
	"errors"
)

// The TCAP responder answers what a SEP asks without understanding the
// operations: each Invoke gets a ReturnResultLast echoing its invoke ID and
// operation code (Q.773 table 10), and a Begin's AARQ gets an AARE
// accepting the proposed application context (Q.773 4.2.2). The result
// carries no parameter: the invoke's argument is not a valid result of its
// operation (Wireshark's MAP dissector calls such an echo malformed).
// Anything it cannot parse is left unanswered rather than guessed at.

// BER tags used here.
const (
	tagInteger      = 0x02
	tagOID          = 0x06
	tagSequence     = 0x30
	tagExternal     = 0x28
	tagInvoke       = 0xa1
	tagReturnResult = 0xa2 // ReturnResultLast
	tagLinkedID     = 0x80
	tagAARQ         = 0x60
	tagAARE         = 0x61
	tagProtoVersion = 0x80
	tagACN          = 0xa1
	tagResult       = 0xa2
	tagResultDiag   = 0xa3
	tagSingleASN1   = 0xa0
	tagServiceUser  = 0xa1
)

// dialogueAsID is the dialogue-as-id object identifier {itu-t recommendation
// q 773 as(1) dialogue-as(1) version1(1)} that an EXTERNAL of a structured
// dialogue names.
var dialogueAsID = []byte{0x00, 0x11, 0x86, 0x05, 0x01, 0x01, 0x01}

var errBER = errors.New("BER")

// tlv is one BER element: a single-octet tag and its contents.
type tlv struct {
	tag byte
	val []byte
}

// readTLV reads the element at the start of b (definite lengths of up to 4
// octets only) and returns it and what follows.
func readTLV(b []byte) (tlv, []byte, error) {
	if len(b) < 2 || b[0]&0x1f == 0x1f {
		return tlv{}, nil, errBER
	}
	tag, l := b[0], int(b[1])
	rest := b[2:]
	if l&0x80 != 0 {
		k := l & 0x7f
		if k == 0 || k > 4 || len(rest) < k {
			return tlv{}, nil, errBER
		}
		l = 0
		for _, c := range rest[:k] {
			l = l<<8 | int(c)
		}
		rest = rest[k:]
	}
	if l < 0 || l > len(rest) {
		return tlv{}, nil, errBER
	}
	return tlv{tag, rest[:l]}, rest[l:], nil
}

// elements splits b into its BER elements.
func elements(b []byte) ([]tlv, error) {
	var out []tlv
	for len(b) > 0 {
		e, rest, err := readTLV(b)
		if err != nil {
			return nil, err
		}
		out, b = append(out, e), rest
	}
	return out, nil
}

func appendBERLength(b []byte, n int) []byte {
	switch {
	case n < 0x80:
		return append(b, byte(n))
	case n <= 0xff:
		return append(b, 0x81, byte(n))
	case n <= 0xffff:
		return append(b, 0x82, byte(n>>8), byte(n))
	}
	return append(b, 0x83, byte(n>>16), byte(n>>8), byte(n))
}

func appendTLV(b []byte, tag byte, v []byte) []byte {
	return append(appendBERLength(append(b, tag), len(v)), v...)
}

// answerComponents returns the component portion answering comps: a
// ReturnResultLast {invoke ID, {operation code}} per Invoke, nil when there
// is none to answer or the portion does not parse.
func answerComponents(comps []byte) []byte {
	cs, err := elements(comps)
	if err != nil {
		return nil
	}
	var out []byte
	for _, c := range cs {
		if c.tag != tagInvoke {
			continue // results, errors and rejects need no answer
		}
		fs, err := elements(c.val)
		if err != nil || len(fs) < 2 || fs[0].tag != tagInteger {
			continue
		}
		i := 1
		if fs[i].tag == tagLinkedID {
			i++
		}
		if i >= len(fs) || (fs[i].tag != tagInteger && fs[i].tag != tagOID) {
			continue
		}
		rr := appendTLV(nil, tagInteger, fs[0].val)
		rr = appendTLV(rr, tagSequence, appendTLV(nil, fs[i].tag, fs[i].val))
		out = appendTLV(out, tagReturnResult, rr)
	}
	return out
}

// answerDialogue returns the dialogue portion answering a Begin's: an AARE
// accepting the AARQ's application context, with its protocol version.
// nil when dp is not a structured dialogue's AARQ.
func answerDialogue(dp []byte) []byte {
	ext, rest, err := readTLV(dp)
	if err != nil || len(rest) != 0 || ext.tag != tagExternal {
		return nil
	}
	fs, err := elements(ext.val)
	if err != nil || len(fs) != 2 || fs[0].tag != tagOID || !bytes.Equal(fs[0].val, dialogueAsID) || fs[1].tag != tagSingleASN1 {
		return nil
	}
	pdu, rest, err := readTLV(fs[1].val)
	if err != nil || len(rest) != 0 || pdu.tag != tagAARQ {
		return nil
	}
	parts, err := elements(pdu.val)
	if err != nil {
		return nil
	}
	var version, acn []byte
	for _, p := range parts {
		switch p.tag {
		case tagProtoVersion:
			version = p.val
		case tagACN:
			acn = p.val // the OID element itself
		}
	}
	if acn == nil {
		return nil
	}
	var aare []byte
	if version != nil {
		aare = appendTLV(aare, tagProtoVersion, version)
	}
	aare = appendTLV(aare, tagACN, acn)
	aare = appendTLV(aare, tagResult, []byte{tagInteger, 1, 0})                        // accepted
	aare = appendTLV(aare, tagResultDiag, []byte{tagServiceUser, 3, tagInteger, 1, 0}) // dialogue-service-user: null
	single := appendTLV(nil, tagAARE, aare)
	body := appendTLV(nil, tagOID, dialogueAsID)
	body = appendTLV(body, tagSingleASN1, single)
	return appendTLV(nil, tagExternal, body)
}
