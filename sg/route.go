package sg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/mxua/sccp"
)

// Range is an inclusive range of values (point codes, SI, SSN, CIC).
type Range struct{ Lo, Hi uint32 }

func (r Range) contains(v uint32) bool { return v >= r.Lo && v <= r.Hi }

func (r Range) String() string {
	if r.Lo == r.Hi {
		return strconv.FormatUint(uint64(r.Lo), 10)
	}
	return fmt.Sprintf("%d-%d", r.Lo, r.Hi)
}

// Route maps SS7-side traffic to a pool: a message matches when every field
// that is set matches (a field lists ranges; any of them will do), as a
// routing key does (RFC 4666 section 1.4.2.1). CIC applies to ISUP (SI 5)
// only; SSN to SCCP: the called party's subsystem of a SUA message or of a
// UDT/XUDT in M3UA DATA.
type Route struct {
	DPC, OPC, SI, SSN, CIC []Range
	// Pool is the pool handle traffic goes to.
	Pool string
}

// Field limits: ITU point codes have 14 bits, ANSI 24; SI has 4 bits, SSN
// 8, the ISUP CIC 12.
var routeFields = map[string]uint32{"dpc": 1<<24 - 1, "opc": 1<<24 - 1, "si": 15, "ssn": 255, "cic": 4095}

// ParseRoute reads "dpc=2-2,si=5,cic=0-4095:gwc": comma-separated
// field=value items (value a number or lo-hi; a field given twice widens
// it), a colon and the pool handle. Numbers are decimal or 0x hex.
func ParseRoute(s string) (Route, error) {
	var r Route
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return r, fmt.Errorf("route %q: want fields:pool, e.g. dpc=2,si=5,cic=0-4095:gwc", s)
	}
	r.Pool = strings.TrimSpace(s[i+1:])
	if r.Pool == "" {
		return r, fmt.Errorf("route %q: empty pool handle", s)
	}
	fields := strings.TrimSpace(s[:i])
	if fields == "" || fields == "*" {
		return r, nil // everything
	}
	for item := range strings.SplitSeq(fields, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(item), "=")
		name = strings.ToLower(strings.TrimSpace(name))
		limit, known := routeFields[name]
		if !ok || !known {
			return r, fmt.Errorf("route %q: item %q: want dpc=, opc=, si=, ssn= or cic=", s, item)
		}
		rg, err := parseRange(strings.TrimSpace(val), limit)
		if err != nil {
			return r, fmt.Errorf("route %q: %s: %w", s, name, err)
		}
		switch name {
		case "dpc":
			r.DPC = append(r.DPC, rg)
		case "opc":
			r.OPC = append(r.OPC, rg)
		case "si":
			r.SI = append(r.SI, rg)
		case "ssn":
			r.SSN = append(r.SSN, rg)
		case "cic":
			r.CIC = append(r.CIC, rg)
		}
	}
	return r, nil
}

func parseRange(s string, limit uint32) (Range, error) {
	lo, hi, isRange := strings.Cut(s, "-")
	a, err := parseNumber(lo, limit)
	if err != nil {
		return Range{}, err
	}
	b := a
	if isRange {
		if b, err = parseNumber(hi, limit); err != nil {
			return Range{}, err
		}
	}
	if b < a {
		return Range{}, fmt.Errorf("range %q runs backwards", s)
	}
	return Range{a, b}, nil
}

func parseNumber(s string, limit uint32) (uint32, error) {
	v, err := strconv.ParseUint(strings.TrimSpace(s), 0, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if v > uint64(limit) {
		return 0, fmt.Errorf("%d is above %d", v, limit)
	}
	return uint32(v), nil
}

// String gives the route in ParseRoute's syntax.
func (r Route) String() string {
	var parts []string
	for _, f := range []struct {
		name string
		rs   []Range
	}{{"dpc", r.DPC}, {"opc", r.OPC}, {"si", r.SI}, {"ssn", r.SSN}, {"cic", r.CIC}} {
		for _, rg := range f.rs {
			parts = append(parts, f.name+"="+rg.String())
		}
	}
	if len(parts) == 0 {
		return "*:" + r.Pool
	}
	return strings.Join(parts, ",") + ":" + r.Pool
}

// specificity counts the constrained fields: the most specific matching
// route wins, so a CIC-range route beats the plain DPC route of a node.
func (r *Route) specificity() int {
	n := 0
	for _, f := range [][]Range{r.DPC, r.OPC, r.SI, r.SSN, r.CIC} {
		if len(f) > 0 {
			n++
		}
	}
	return n
}

// PointCodes lists the destination point codes of the route (for DUNA and
// DAVA), at most max of them; none when the route has no DPC.
func (r *Route) PointCodes(max int) []uint32 {
	var out []uint32
	for _, rg := range r.DPC {
		for pc := rg.Lo; pc <= rg.Hi && len(out) < max; pc++ {
			out = append(out, pc)
			if pc == rg.Hi {
				break
			}
		}
	}
	return out
}

// msgFields are the routing-relevant values of one message, read once.
type msgFields struct {
	dpc, opc                    uint32
	si, ssn                     uint8
	cic                         uint16
	hasDPC, hasOPC, hasSI       bool
	hasCIC, hasSSN, ssnExamined bool
	m                           *mxua.Message
}

func fieldsOf(m *mxua.Message) (msgFields, bool) {
	f := msgFields{m: m}
	switch {
	case m.ProtocolData != nil:
		pd := m.ProtocolData
		f.dpc, f.opc, f.si = pd.DPC, pd.OPC, pd.SI&0x0f
		f.hasDPC, f.hasOPC, f.hasSI = true, true, true
		if f.si == 5 && len(pd.Payload) >= 2 {
			// Q.763: the CIC leads the ISUP message, 12 bits, LSB first.
			f.cic, f.hasCIC = binary.LittleEndian.Uint16(pd.Payload)&0x0fff, true
		}
		return f, true
	case m.SUA != nil:
		s := m.SUA
		if d := s.Destination; d != nil {
			if d.PointCode != nil {
				f.dpc, f.hasDPC = *d.PointCode, true
			}
			if d.SSN != nil {
				f.ssn, f.hasSSN = *d.SSN, true
			}
		}
		if o := s.Source; o != nil && o.PointCode != nil {
			f.opc, f.hasOPC = *o.PointCode, true
		}
		f.si, f.hasSI, f.ssnExamined = 3, true, true
		return f, true
	}
	return f, false
}

// calledSSN reads the SSN of SCCP in M3UA DATA only when a route asks.
func (f *msgFields) calledSSN() (uint8, bool) {
	if !f.ssnExamined {
		f.ssnExamined = true
		if f.si == 3 && f.m.ProtocolData != nil {
			if s, err := sccp.Peek(f.m.ProtocolData.Payload); err == nil && s.HasSSN {
				f.ssn, f.hasSSN = s.CalledSSN, true
			}
		}
	}
	return f.ssn, f.hasSSN
}

func inRanges(rs []Range, v uint32) bool {
	for _, r := range rs {
		if r.contains(v) {
			return true
		}
	}
	return false
}

func (r *Route) match(f *msgFields) bool {
	if len(r.DPC) > 0 && (!f.hasDPC || !inRanges(r.DPC, f.dpc)) {
		return false
	}
	if len(r.OPC) > 0 && (!f.hasOPC || !inRanges(r.OPC, f.opc)) {
		return false
	}
	if len(r.SI) > 0 && (!f.hasSI || !inRanges(r.SI, uint32(f.si))) {
		return false
	}
	if len(r.CIC) > 0 && (!f.hasCIC || !inRanges(r.CIC, uint32(f.cic))) {
		return false
	}
	if len(r.SSN) > 0 {
		ssn, ok := f.calledSSN()
		if !ok || !inRanges(r.SSN, uint32(ssn)) {
			return false
		}
	}
	return true
}

// routingTable holds the routes, most specific first, each resolved to
// its pool.
type routingTable struct {
	routes []Route
	pools  []*pool // pools[i] serves routes[i]
}

func newRoutingTable(routes []Route, pools map[string]*pool) (routingTable, error) {
	var t routingTable
	if len(routes) == 0 {
		return t, errors.New("no route: traffic would go nowhere")
	}
	t.routes = slices.Clone(routes)
	slices.SortStableFunc(t.routes, func(a, b Route) int { return b.specificity() - a.specificity() })
	for _, r := range t.routes {
		p := pools[r.Pool]
		if p == nil {
			return t, fmt.Errorf("route %v: unknown pool %q", r, r.Pool)
		}
		t.pools = append(t.pools, p)
	}
	return t, nil
}

// lookup returns the pool of the most specific route matching m.
func (t *routingTable) lookup(m *mxua.Message) *pool {
	f, ok := fieldsOf(m)
	if !ok {
		return nil
	}
	for i := range t.routes {
		if t.routes[i].match(&f) {
			return t.pools[i]
		}
	}
	return nil
}
