package main

import (
	"context"
	"strings"
	"testing"
)

func TestPUEchoBadFlags(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"pu", "echo", "--registrar", "tcp://127.0.0.1:3863"}, "--pool is required"},
		{[]string{"pu", "echo", "--pool", "p"}, "--registrar is required"},
		{[]string{"pu", "echo", "--pool", "p", "--registrar", "tcp://127.0.0.1:3863", "--count", "-1"}, "--count"},
		{[]string{"pu", "echo", "--pool", "p", "--registrar", "tcp://127.0.0.1:3863", "--timeout", "0s"}, "--timeout"},
		{[]string{"pu", "echo", "--pool", "p", "--registrar", "tcp://127.0.0.1:3863", "--interval", "soon"}, "invalid argument"},
		{[]string{"pu", "echo", "extra"}, "unknown command"},
	} {
		_, _, err := runCommand(ctx, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want it to mention %q", tc.args, err, tc.want)
		}
	}
}

func TestPUEchoNoRegistrar(t *testing.T) {
	reg := startMiniRegistrar(t)
	addr := reg.addr
	reg.stop()
	_, _, err := runCommand(context.Background(), "pu", "echo", "--pool", "p", "--registrar", addr,
		"--profile", "carrier", "--response-timeout", "100ms", "--reconnect-min", "20ms")
	if err == nil || !strings.Contains(err.Error(), "no registrar answered") {
		t.Fatalf("error %v", err)
	}
}
