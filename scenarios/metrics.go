package scenarios

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// sample is one metric line: a name, its labels and its value.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// metrics is one scrape of a component's Prometheus endpoint.
type metrics []sample

// scrape reads http://addr/metrics (text exposition format).
func scrape(ctx context.Context, addr string) (metrics, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape %s: %s", addr, resp.Status)
	}
	var out metrics
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if s, ok := parseSample(sc.Text()); ok {
			out = append(out, s)
		}
	}
	return out, sc.Err()
}

// parseSample reads `name{a="x",b="y"} value [timestamp]`.
func parseSample(line string) (sample, bool) {
	if line == "" || line[0] == '#' {
		return sample{}, false
	}
	var s sample
	rest := line
	if i := strings.IndexAny(rest, "{ "); i < 0 {
		return sample{}, false
	} else {
		s.name, rest = rest[:i], rest[i:]
	}
	if strings.HasPrefix(rest, "{") {
		end := strings.Index(rest, "} ")
		if end < 0 {
			return sample{}, false
		}
		s.labels = parseLabels(rest[1:end])
		rest = rest[end+1:]
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return sample{}, false
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return sample{}, false
	}
	s.value = v
	return s, true
}

func parseLabels(s string) map[string]string {
	m := map[string]string{}
	for s != "" {
		eq := strings.Index(s, `="`)
		if eq < 0 {
			break
		}
		key := strings.TrimLeft(s[:eq], ", ")
		s = s[eq+2:]
		var val strings.Builder
		i := 0
		for ; i < len(s); i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
				switch s[i] {
				case 'n':
					val.WriteByte('\n')
				default:
					val.WriteByte(s[i])
				}
				continue
			}
			if s[i] == '"' {
				break
			}
			val.WriteByte(s[i])
		}
		m[key] = val.String()
		if i >= len(s) {
			break
		}
		s = s[i+1:]
	}
	return m
}

// matches reports whether a sample is named name (with any "sigpool_"
// prefix) and has every key=value pair of want among its labels.
func (s sample) matches(name string, want []string) bool {
	if s.name != name && s.name != "sigpool_"+name {
		return false
	}
	for i := 0; i+1 < len(want); i += 2 {
		if s.labels[want[i]] != want[i+1] {
			return false
		}
	}
	return true
}

// sum adds the samples of name whose labels include want's pairs.
func (ms metrics) sum(name string, want ...string) float64 {
	var total float64
	for _, s := range ms {
		if s.matches(name, want) {
			total += s.value
		}
	}
	return total
}

// byLabel sums name per value of label, filtered by want's pairs.
func (ms metrics) byLabel(name, label string, want ...string) map[string]float64 {
	out := map[string]float64{}
	for _, s := range ms {
		if s.matches(name, want) {
			out[s.labels[label]] += s.value
		}
	}
	return out
}
