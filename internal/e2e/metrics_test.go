package e2e

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scrape reads a Prometheus text page into "name{labels}" -> value, with
// the labels as the exporter wrote them.
func scrape(addr string) (map[string]float64, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		out[line[:i]] = v
	}
	return out, sc.Err()
}

// metric sums the samples of name (with or without a prefix such as
// "sigpool_") whose labels include every one of labels ("pool=\"gwc\"").
func metric(m map[string]float64, name string, labels ...string) float64 {
	var sum float64
	for k, v := range m {
		n, ls, _ := strings.Cut(k, "{")
		if n != name && !strings.HasSuffix(n, "_"+name) {
			continue
		}
		ok := true
		for _, l := range labels {
			if !strings.Contains(ls, l) {
				ok = false
			}
		}
		if ok {
			sum += v
		}
	}
	return sum
}

// waitMetric polls a metrics page until cond holds on it.
func waitMetric(t testing.TB, addr, what string, within time.Duration, cond func(map[string]float64) bool) map[string]float64 {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		m, err := scrape(addr)
		if err == nil && cond(m) {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v (last scrape err %v)", what, within, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
