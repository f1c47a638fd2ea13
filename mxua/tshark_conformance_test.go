package mxua

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sigpool/sigpool/internal/sctppcap"
	"github.com/sigpool/sigpool/internal/tshark"
	"github.com/sigpool/sigpool/internal/tshark/tsharktest"
)

// xuaLayout is what the test reads back from the encoded bytes on its own,
// without the decoder under test: every parameter tag, nested ones
// included, in order.
func xuaLayout(p Protocol, b []byte, tags *[]uint16) error {
	for len(b) > 0 {
		if len(b) < 4 {
			return fmt.Errorf("%d trailing bytes", len(b))
		}
		tag, n := binary.BigEndian.Uint16(b), int(binary.BigEndian.Uint16(b[2:]))
		if n < 4 || n > len(b) {
			return fmt.Errorf("parameter 0x%04x: length %d of %d", tag, n, len(b))
		}
		*tags = append(*tags, tag)
		v := b[4:n]
		var err error
		switch {
		case p == M3UA && (tag == 0x0207 || tag == 0x0208 || tag == 0x0209):
			err = xuaLayout(p, v, tags)
		case p == SUA && (tag == 0x010e || tag == 0x0014 || tag == 0x0015):
			err = xuaLayout(p, v, tags)
		case p == SUA && (tag == 0x0102 || tag == 0x0103):
			err = xuaLayout(p, v[4:], tags)
		}
		if err != nil {
			return err
		}
		b = b[min(len(b), (n+3)&^3):]
	}
	return nil
}

// TestTsharkConformance writes one of every M3UA message (PPID 3, port
// 2905) and every SUA message (PPID 4, port 14001) as synthetic SCTP
// frames and has tshark dissect them: no frame may be malformed or carry an
// expert error, and class, type, length, parameter tags and key values must
// be those encoded.
func TestTsharkConformance(t *testing.T) {
	tsharktest.Require(t)
	type frame struct {
		p    Protocol
		name string
		m    *Message
		b    []byte
	}
	var frames []frame
	for _, p := range []Protocol{M3UA, SUA} {
		for _, g := range allCodecGoldens(p) {
			frames = append(frames, frame{p: p, name: g.name, m: g.m, b: cdcHex(g.hex)})
		}
	}
	var capture []sctppcap.Frame
	start := time.Unix(1_800_000_000, 0)
	for i, f := range frames {
		src := netip.MustParseAddrPort("127.0.0.1:40000")
		dst := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.2"), PortM3UA)
		if f.p == SUA {
			dst = netip.AddrPortFrom(dst.Addr(), PortSUA)
		}
		capture = append(capture, sctppcap.Frame{Time: start.Add(time.Duration(i) * time.Millisecond), Src: src, Dst: dst,
			Stream: 1, PPID: f.p.PPID(), Data: f.b})
	}
	// The goldens' payloads are filler, not real ISUP, SCCP or TCAP: stop
	// the dissection at the adaptation layer.
	pkts := tsharktest.Dissect(t, "xua.pcap", capture, "--disable-protocol", "mtp3", "--disable-protocol", "tcap",
		"--disable-protocol", "sccp", "--disable-protocol", "isup", "--disable-protocol", "bssap",
		"--disable-protocol", "ranap")
	for i, f := range frames {
		t.Run(fmt.Sprintf("%02d-%v-%s", i, f.p, f.name), func(t *testing.T) {
			p, b, proto := pkts[i], f.b, strings.ToLower(f.p.String())
			if probs := p.Problems(); len(probs) > 0 {
				t.Fatalf("tshark reports %v for % x", probs, b)
			}
			if p.Protocol(proto) == nil {
				t.Fatalf("tshark found no %s layer", proto)
			}
			uintIs := func(name string, want uint64) {
				t.Helper()
				if v, err := p.First(name).Uint(); err != nil || v != want {
					t.Errorf("%s = %d (%v), encoded %d", name, v, err, want)
				}
			}
			uintsAre := func(name string, want []uint64) {
				t.Helper()
				var got []uint64
				for _, fl := range p.All(name) {
					v, err := fl.Uint()
					if err != nil {
						t.Fatalf("%s %q: %v", name, fl.Show, err)
					}
					got = append(got, v)
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s = %v, encoded %v", name, got, want)
				}
			}
			uintIs(proto+".version", 1)
			uintIs(proto+".message_class", uint64(f.m.Kind.Class()))
			uintIs(proto+".message_type", uint64(f.m.Kind.Type()))
			uintIs(proto+".message_length", uint64(len(b)))

			var want []uint16
			if err := xuaLayout(f.p, b[8:], &want); err != nil {
				t.Fatalf("walk encoded parameters: %v", err)
			}
			var got []uint16
			for _, fl := range p.All(proto + ".parameter_tag") {
				v, err := fl.Uint()
				if err != nil {
					t.Fatalf("parameter tag %q: %v", fl.Show, err)
				}
				if strings.Contains(strings.ToLower(fl.ShowName), "unknown") {
					t.Errorf("tshark calls parameter 0x%04x unknown: %q", v, fl.ShowName)
				}
				got = append(got, uint16(v))
			}
			if !slices.Equal(got, want) {
				t.Errorf("parameter tags %04x, encoded %04x", got, want)
			}

			var rcs []uint64
			for _, rc := range f.m.RoutingContexts {
				rcs = append(rcs, uint64(rc))
			}
			if f.m.ErrorCode != 0 {
				uintIs(proto+".error_code", uint64(f.m.ErrorCode))
			}
			if f.m.ASPIdentifier != nil {
				uintIs(proto+".asp_identifier", uint64(*f.m.ASPIdentifier))
			}
			if f.m.TrafficMode != 0 {
				uintIs(proto+".traffic_mode_type", uint64(f.m.TrafficMode))
			}
			if st := f.m.Status; st != nil {
				uintIs(proto+".status_type", uint64(st.Type))
				uintIs(proto+".status_info", uint64(st.Info))
			}
			var apcs []uint64
			for _, a := range f.m.AffectedPointCodes {
				apcs = append(apcs, uint64(a.PointCode))
			}
			if f.p == M3UA {
				uintsAre("m3ua.affected_point_code_pc", apcs)
			} else {
				uintsAre("sua.affected_pointcode_dpc", apcs)
			}
			if pd := f.m.ProtocolData; pd != nil {
				uintIs("m3ua.protocol_data_opc", uint64(pd.OPC))
				uintIs("m3ua.protocol_data_dpc", uint64(pd.DPC))
				uintIs("m3ua.protocol_data_si", uint64(pd.SI))
				uintIs("m3ua.protocol_data_ni", uint64(pd.NI))
				uintIs("m3ua.protocol_data_mp", uint64(pd.MP))
				uintIs("m3ua.protocol_data_sls", uint64(pd.SLS))
			}
			if uc := f.m.UserCause; uc != nil && f.p == M3UA {
				uintIs("m3ua.unavailability_cause", uint64(uc.Cause))
				uintIs("m3ua.user_identity", uint64(uc.User))
			}
			if uc := f.m.UserCause; uc != nil && f.p == SUA {
				uintIs("sua.cause_user_cause", uint64(uc.Cause))
				uintIs("sua.cause_user_user", uint64(uc.User))
			}
			if f.m.CongestionLevel != nil {
				uintIs(proto+".congestion_level", uint64(*f.m.CongestionLevel))
			}
			if f.m.ConcernedDestination != nil {
				uintIs("m3ua.concerned_dpc", uint64(*f.m.ConcernedDestination))
			}
			var lrks, dpcs, sis, opcs, crs []uint64
			for _, rk := range f.m.RoutingKeys {
				lrks = append(lrks, uint64(rk.LocalRKIdentifier))
				if rk.RoutingContext != nil {
					rcs = append(rcs, uint64(*rk.RoutingContext))
				}
				if f.p == M3UA {
					dpcs = append(dpcs, uint64(*rk.DPC))
				}
				for _, si := range rk.ServiceIndicators {
					sis = append(sis, uint64(si))
				}
				for _, pc := range rk.OPCs {
					opcs = append(opcs, uint64(pc))
				}
				for _, cr := range rk.CircuitRanges {
					crs = append(crs, uint64(cr.OPC), uint64(cr.LowCIC), uint64(cr.HighCIC))
				}
			}
			if f.p == M3UA {
				uintsAre("m3ua.dpc_pc", dpcs)
				uintsAre("m3ua.si", sis)
				uintsAre("m3ua.opc_list_pc", opcs)
				var gotCR []uint64
				for _, n := range []string{"pc", "lower", "upper"} {
					for _, fl := range p.All("m3ua.cic_range_" + n) {
						v, _ := fl.Uint()
						gotCR = append(gotCR, v)
					}
				}
				if len(crs) == 3 && !slices.Equal(gotCR, crs) {
					t.Errorf("circuit range %v, encoded %v", gotCR, crs)
				}
			}
			var regStatus, deregStatus []uint64
			for _, r := range f.m.RegistrationResults {
				lrks = append(lrks, uint64(r.LocalRKIdentifier))
				regStatus = append(regStatus, uint64(r.Status))
				rcs = append(rcs, uint64(r.RoutingContext))
			}
			for _, r := range f.m.DeregistrationResult {
				deregStatus = append(deregStatus, uint64(r.Status))
				rcs = append(rcs, uint64(r.RoutingContext))
			}
			uintsAre(proto+".routing_context", rcs)
			uintsAre(proto+".registration_status", regStatus)
			uintsAre(proto+".deregistration_status", deregStatus)
			if f.p == M3UA {
				uintsAre("m3ua.local_rk_identifier", lrks)
			} else {
				uintsAre("sua.local_routing_key_identifier", lrks)
				if f.m.AffectedSSN != nil {
					// tshark files a message-level SSN under the source side.
					uintIs("sua.source.ssn", uint64(*f.m.AffectedSSN))
				}
				if f.m.SMI != nil {
					uintIs("sua.smi_smi", uint64(*f.m.SMI))
				}
				if l := f.m.TIDLabel; l != nil {
					uintIs("sua.tid_label_start", uint64(l.Start))
					uintIs("sua.tid_label_end", uint64(l.End))
					uintIs("sua.tid_label_value", uint64(l.Value))
				}
				if l := f.m.DRNLabel; l != nil {
					uintIs("sua.drn_label_value", uint64(l.Value))
				}
			}
			if s := f.m.SUA; s != nil {
				checkSUAData(t, p, s, uintIs)
			}
		})
	}
}

func checkSUAData(t *testing.T, p tshark.Packet, s *SUAData, uintIs func(string, uint64)) {
	t.Helper()
	addr := func(side string, a *SCCPAddress) {
		if a == nil {
			return
		}
		uintIs("sua."+side+".routing_indicator", uint64(a.RoutingIndicator))
		if a.PointCode != nil {
			uintIs("sua."+side+".point_code", uint64(*a.PointCode))
		}
		if a.SSN != nil {
			uintIs("sua."+side+".ssn", uint64(*a.SSN))
		}
		if gt := a.GlobalTitle; gt != nil {
			uintIs("sua."+side+".gti", uint64(gt.GTI))
			uintIs("sua."+side+".global_title_number_of_digits", uint64(len(gt.Digits)))
			uintIs("sua."+side+".global_title_translation_type", uint64(gt.TranslationType))
			uintIs("sua."+side+".global_title_numbering_plan", uint64(gt.NumberingPlan))
			uintIs("sua."+side+".global_title_nature_of_address", uint64(gt.NatureOfAddress))
			// Wireshark spells the filler codes 0xa-0xf its own way ("11" for
			// code 11); compare decimal digit strings only.
			if f := p.First("sua." + side + ".global_title_digits"); strings.Trim(gt.Digits, "0123456789") == "" && (f == nil || f.Show != gt.Digits) {
				t.Errorf("%s GT digits %v, encoded %q", side, f, gt.Digits)
			}
		}
		if a.Hostname != "" {
			if f := p.First("sua." + side + ".hostname.name"); f == nil || f.Show != a.Hostname {
				t.Errorf("%s hostname %v, encoded %q", side, f, a.Hostname)
			}
		}
		if a.IP.IsValid() {
			name := "sua." + side + ".ipv4_address"
			if a.IP.Is6() {
				name = "sua." + side + ".ipv6_address"
			}
			if f := p.First(name); f == nil || f.Show != a.IP.String() {
				t.Errorf("%s IP %v, encoded %v", side, f, a.IP)
			}
		}
	}
	addr("source", s.Source)
	addr("destination", s.Destination)
	if s.SourceReference != nil {
		uintIs("sua.source_reference_number", uint64(*s.SourceReference))
	}
	if s.DestReference != nil {
		uintIs("sua.destination_reference_number", uint64(*s.DestReference))
	}
	if s.SCCPCause != nil {
		uintIs("sua.sccp_cause_type", uint64(*s.SCCPCause>>8&0xff))
		uintIs("sua.sccp_cause_value", uint64(*s.SCCPCause&0xff))
	}
	if s.HopCounter != nil {
		uintIs("sua.ss7_hop_counter_counter", uint64(*s.HopCounter))
	}
	if s.Importance != nil {
		uintIs("sua.importance_importance", uint64(*s.Importance))
	}
	if s.MessagePriority != nil {
		uintIs("sua.message_priority_priority", uint64(*s.MessagePriority))
	}
	if s.Credit != nil {
		uintIs("sua.credit", uint64(*s.Credit))
	}
	if p.First("sua.protocol_class_class") != nil {
		uintIs("sua.protocol_class_class", uint64(s.ProtocolClass&0x7f))
	}
	if p.First("sua.sequence_control_sequence_control") != nil {
		uintIs("sua.sequence_control_sequence_control", uint64(s.SequenceControl))
	}
}
