// Package tshark runs Wireshark's tshark over a capture and returns the
// dissection tree, so tests can check that what sigpool puts on the wire is
// what a real dissector expects: no malformed frames, no expert errors, and
// the field values that were meant.
package tshark

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// Expert severities as tshark reports them in _ws.expert.severity.
const (
	SeverityNote    = 0x00400000
	SeverityWarning = 0x00600000
	SeverityError   = 0x00800000
)

// ErrNotInstalled is returned when no tshark binary is on PATH.
var ErrNotInstalled = errors.New("tshark is not installed (make deps installs it)")

// Field is one node of a packet's dissection tree.
type Field struct {
	Name     string  `xml:"name,attr"`
	ShowName string  `xml:"showname,attr"`
	Show     string  `xml:"show,attr"`
	Value    string  `xml:"value,attr"`
	Pos      int     `xml:"pos,attr"`
	Size     int     `xml:"size,attr"`
	Fields   []Field `xml:"field"`
}

type proto struct {
	Name   string  `xml:"name,attr"`
	Fields []Field `xml:"field"`
}

// Packet is one frame's dissection: a root per protocol layer.
type Packet struct {
	Protocols []Field
}

type pdml struct {
	Packets []struct {
		Protos []proto `xml:"proto"`
	} `xml:"packet"`
}

// Path returns the tshark binary, or ErrNotInstalled.
func Path() (string, error) {
	p, err := exec.LookPath("tshark")
	if err != nil {
		return "", ErrNotInstalled
	}
	return p, nil
}

// Decode dissects every frame of the capture at path. extra are additional
// tshark options (for example "-d", "tcp.port==3863,asap"). SCTP CRC32c
// checksums are verified, so a bad checksum shows up as an expert error.
func Decode(ctx context.Context, path string, extra ...string) ([]Packet, error) {
	bin, err := Path()
	if err != nil {
		return nil, err
	}
	args := append([]string{"-n", "-r", path, "-T", "pdml", "-o", "sctp.checksum:CRC-32C"}, extra...)
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// tshark reads preferences from HOME; keep runs independent of the user's.
	cmd.Env = append(os.Environ(), "WIRESHARK_CONFIG_DIR="+os.TempDir()+"/sigpool-tshark-empty")
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("tshark %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	var doc pdml
	if err := xml.Unmarshal(stdout.Bytes(), &doc); err != nil {
		return nil, fmt.Errorf("tshark: parse PDML output: %w", err)
	}
	packets := make([]Packet, 0, len(doc.Packets))
	for _, p := range doc.Packets {
		var pkt Packet
		for _, pr := range p.Protos {
			pkt.Protocols = append(pkt.Protocols, Field{Name: pr.Name, Fields: pr.Fields})
		}
		packets = append(packets, pkt)
	}
	return packets, nil
}

// Protocol returns the root of the named layer ("sctp", "asap", "enrp",
// "m3ua", ...), or nil when the frame has none.
func (p Packet) Protocol(name string) *Field {
	for i := range p.Protocols {
		if p.Protocols[i].Name == name {
			return &p.Protocols[i]
		}
	}
	return nil
}

// All returns every field with the given name anywhere in the frame, in
// dissection order.
func (p Packet) All(name string) []*Field {
	var out []*Field
	for i := range p.Protocols {
		out = p.Protocols[i].collect(name, out)
	}
	return out
}

// First returns the first field with the given name, or nil.
func (p Packet) First(name string) *Field {
	if all := p.All(name); len(all) > 0 {
		return all[0]
	}
	return nil
}

// Malformed reports whether the dissector flagged the frame as malformed.
func (p Packet) Malformed() bool {
	return p.Protocol("_ws.malformed") != nil || p.First("_ws.malformed") != nil
}

// Expert returns the expert messages at or above the given severity.
func (p Packet) Expert(minSeverity int) []string {
	var out []string
	for _, e := range p.All("_ws.expert") {
		sev := 0
		if s := e.child("_ws.expert.severity"); s != nil {
			if v, err := strconv.ParseInt(s.Show, 0, 64); err == nil {
				sev = int(v)
			}
		}
		if sev >= minSeverity {
			msg := e.ShowName
			if m := e.child("_ws.expert.message"); m != nil {
				msg = m.Show
			}
			out = append(out, msg)
		}
	}
	return out
}

// Problems lists everything that makes a frame unacceptable: malformed
// dissection and expert errors.
func (p Packet) Problems() []string {
	var out []string
	if p.Malformed() {
		out = append(out, "malformed")
	}
	return append(out, p.Expert(SeverityError)...)
}

// Uint returns the field's value as an unsigned integer (from its show
// attribute, which tshark prints in decimal or 0x-hex).
func (f *Field) Uint() (uint64, error) {
	if f == nil {
		return 0, errors.New("tshark: no such field")
	}
	return strconv.ParseUint(f.Show, 0, 64)
}

func (f *Field) child(name string) *Field {
	for i := range f.Fields {
		if f.Fields[i].Name == name {
			return &f.Fields[i]
		}
	}
	return nil
}

func (f *Field) collect(name string, out []*Field) []*Field {
	if f.Name == name {
		out = append(out, f)
	}
	for i := range f.Fields {
		out = f.Fields[i].collect(name, out)
	}
	return out
}
