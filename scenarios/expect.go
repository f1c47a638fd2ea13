package scenarios

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Bound is one expectation: a comparison and a limit, written as
// "<= 300ms", "> 0.99" or "== 0". A limit with a time unit is a duration.
type Bound struct {
	Op       string // <, <=, >, >=, ==
	Value    float64
	Duration time.Duration
	IsTime   bool
	Line     int
	text     string
}

var boundOps = []string{"<=", ">=", "==", "<", ">"}

// ParseBound parses "OP LIMIT".
func ParseBound(s string) (Bound, error) {
	t := strings.TrimSpace(s)
	var b Bound
	for _, op := range boundOps {
		if strings.HasPrefix(t, op) {
			b.Op, t = op, strings.TrimSpace(t[len(op):])
			break
		}
	}
	if b.Op == "" {
		return b, fmt.Errorf("expectation %q: want a comparison (<, <=, >, >=, ==) and a limit, e.g. \"<= 300ms\"", s)
	}
	if t == "" {
		return b, fmt.Errorf("expectation %q: no limit after %s", s, b.Op)
	}
	if v, err := strconv.ParseFloat(t, 64); err == nil {
		b.Value = v
	} else if d, err := time.ParseDuration(t); err == nil {
		b.Duration, b.IsTime, b.Value = d, true, d.Seconds()
	} else {
		return b, fmt.Errorf("expectation %q: limit %q is neither a number nor a duration", s, t)
	}
	b.text = b.Op + " " + t
	return b, nil
}

// UnmarshalYAML reads a bound from a scalar, remembering its line.
func (b *Bound) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return &FileError{Line: n.Line, Reason: "expectation: want a string such as \"<= 300ms\""}
	}
	v, err := ParseBound(n.Value)
	if err != nil {
		return &FileError{Line: n.Line, Reason: err.Error()}
	}
	v.Line = n.Line
	*b = v
	return nil
}

// Holds reports whether measured value v (seconds for durations) meets
// the bound.
func (b Bound) Holds(v float64) bool {
	switch b.Op {
	case "<":
		return v < b.Value
	case "<=":
		return v <= b.Value
	case ">":
		return v > b.Value
	case ">=":
		return v >= b.Value
	case "==":
		return v == b.Value
	}
	return false
}

func (b Bound) String() string { return b.text }
