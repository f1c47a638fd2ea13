package scenarios

import "testing"

func TestParseSample(t *testing.T) {
	s, ok := parseSample(`sigpool_sg_peer_messages_total{side="gwc",pool="gwc",peer="0x3e9",direction="out"} 42`)
	if !ok || s.name != "sigpool_sg_peer_messages_total" || s.value != 42 || s.labels["peer"] != "0x3e9" || s.labels["direction"] != "out" {
		t.Fatalf("%+v", s)
	}
	s, ok = parseSample(`up 1 1700000000000`)
	if !ok || s.value != 1 || len(s.labels) != 0 {
		t.Fatalf("%+v", s)
	}
	s, ok = parseSample(`x{a="q\"uo,te",b="2"} 3.5`)
	if !ok || s.labels["a"] != `q"uo,te` || s.labels["b"] != "2" || s.value != 3.5 {
		t.Fatalf("%+v", s)
	}
	for _, bad := range []string{"", "# HELP x", "x{a=\"1\"", "x notanumber"} {
		if _, ok := parseSample(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
	ms := metrics{
		{name: "sigpool_sg_pool_size", labels: map[string]string{"pool": "gwc", "state": "active"}, value: 3},
		{name: "sigpool_sg_pool_size", labels: map[string]string{"pool": "gwc", "state": "known"}, value: 4},
	}
	if v := ms.sum("sg_pool_size", "state", "active"); v != 3 {
		t.Errorf("sum %v", v)
	}
	if m := ms.byLabel("sg_pool_size", "state", "pool", "gwc"); m["known"] != 4 {
		t.Errorf("byLabel %v", m)
	}
}
