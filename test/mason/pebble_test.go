package mason

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/quarry-ca/quarry/internal/testdns"
	"github.com/quarry-ca/quarry/test/harness"
)

// pebble is one Pebble run for the suite, with the ports its VA connects
// to for http-01 and tls-alpn-01.
type pebble struct {
	*harness.Pebble
	httpPort, tlsPort int
}

// strict says whether a missing pebble fails the suite (CI) or skips it.
func strict() bool { return os.Getenv("CI") == "true" }

// startPebble runs /usr/bin/pebble on loopback ports with its resolver
// answering 127.0.0.1 for every name. Nonce rejection stays at Pebble's
// default; one alternate root gives every certificate an alternate chain.
func startPebble(ctx context.Context, t *testing.T) *pebble {
	t.Helper()
	harness.RequireTools(t, strict(), "pebble")
	dns := testdns.StartTest(t, testdns.Config{DefaultA: []net.IP{net.IPv4(127, 0, 0, 1)}})
	p := &pebble{httpPort: harness.FreePort(t), tlsPort: harness.FreePort(t)}
	p.Pebble = harness.StartPebbleServer(ctx, t, harness.PebbleOptions{
		DNS: dns.Addr(), VAHTTPPort: p.httpPort, VATLSPort: p.tlsPort,
		AlternateRoots: 1, RejectNonces: true,
	})
	return p
}

// buildMason builds cmd/mason into a temp directory.
func buildMason(ctx context.Context, t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mason")
	harness.MustRun(ctx, t, nil, "go", "build", "-o", bin, "github.com/quarry-ca/quarry/cmd/mason")
	return bin
}

// masonRun runs the binary and returns its exit code, stdout and stderr.
func masonRun(ctx context.Context, t *testing.T, bin string, args ...string) (int, string, string) {
	t.Helper()
	t.Logf("$ %s", harness.CommandLine(nil, append([]string{"mason"}, args...)))
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running mason: %v", err)
	}
	return code, stdout.String(), stderr.String()
}
