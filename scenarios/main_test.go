package scenarios

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// sigpoolBin is the sigpool binary the scenario tests run components as,
// built once by TestMain.
var sigpoolBin string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "sigpool-scenarios-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	sigpoolBin = filepath.Join(dir, "sigpool")
	build := exec.Command("go", "build", "-o", sigpoolBin, "github.com/sigpool/sigpool/cmd/sigpool")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build sigpool:", err)
		return 1
	}
	return m.Run()
}
