package mxua

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/sigpool/sigpool/transport"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// The test binary doubles as the ASP process of the process-level tests:
// with SIGPOOL_MXUA_CHILD set, TestMain runs an ASP endpoint instead of the
// tests, so that the test can freeze (SIGSTOP) or kill it as a real peer.
const (
	envChild        = "SIGPOOL_MXUA_CHILD"         // asp
	envChildAddr    = "SIGPOOL_MXUA_CHILD_ADDR"    // SGP address to dial
	envChildProfile = "SIGPOOL_MXUA_CHILD_PROFILE" // heartbeat profile spec
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(envChild); mode != "" {
		os.Exit(runChild(mode))
	}
	os.Exit(m.Run())
}

// runChild is the child process: it prints "ACTIVE" once its ASP is
// ASP-ACTIVE and then serves until its stdin closes (the parent is gone) or
// a minute passes.
func runChild(mode string) int {
	if mode != "asp" {
		fmt.Fprintln(os.Stderr, "child: unknown mode", mode)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	prof, err := transport.ParseProfile(os.Getenv(envChildProfile))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	log := zap.New(zapcore.NewCore(zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig()),
		zapcore.Lock(os.Stderr), zap.InfoLevel))
	e, err := DialASP(ctx, ASPEndpointConfig{
		Address:   os.Getenv(envChildAddr),
		Transport: transport.Config{Profile: prof},
		ASP:       ASPConfig{Protocol: M3UA, RoutingContexts: []uint32{1}, TrafficMode: TrafficModeLoadshare},
		Redial:    -1,
		Logger:    log,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	defer e.Close()
	go func() {
		for range e.Notifications() {
		}
	}()
	if err := e.WaitState(ctx, ASPActive); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	fmt.Println("ACTIVE")
	stdinClosed := make(chan struct{})
	go func() {
		buf := make([]byte, 64)
		for {
			if _, err := os.Stdin.Read(buf); err != nil {
				close(stdinClosed)
				return
			}
		}
	}()
	select {
	case <-stdinClosed:
	case <-ctx.Done():
	}
	return 0
}
