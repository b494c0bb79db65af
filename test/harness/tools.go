package harness

import (
	"net"
	"os/exec"
	"testing"
)

// RequireTools stops the test when a program is not on PATH: a failure
// when strict (CI, where scripts/deps.sh installed everything), else a skip.
func RequireTools(t testing.TB, strict bool, names ...string) {
	t.Helper()
	var missing []string
	for _, name := range names {
		if _, err := exec.LookPath(name); err != nil {
			missing = append(missing, name)
		}
	}
	switch {
	case len(missing) == 0:
	case strict:
		t.Fatalf("missing programs %v; scripts/deps.sh installs them", missing)
	default:
		t.Skipf("skipping: missing programs %v (run scripts/deps.sh as root to install them)", missing)
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
