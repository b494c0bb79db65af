package harness

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
)

// masonPackage is the agent, built from the module the test runs in.
const masonPackage = "github.com/quarry-ca/quarry/cmd/mason"

// BuildMason compiles cmd/mason into a temporary directory and returns the
// binary's path.
func BuildMason(ctx context.Context, t testing.TB) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("building mason needs the go command on PATH: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "mason")
	ctx, cancel := context.WithTimeout(ctx, buildTimeout)
	defer cancel()
	MustRun(ctx, t, nil, goBin, "build", "-o", bin, masonPackage)
	return bin
}
