package harness

import (
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// quarryPackage is built from the module the test runs in.
const quarryPackage = "github.com/quarry-ca/quarry/cmd/quarry"

// buildTimeout allows a cold build of the CA on a small machine.
const buildTimeout = 10 * time.Minute

// BuildQuarry compiles cmd/quarry into a temporary directory and returns
// the binary's path.
func BuildQuarry(ctx context.Context, t testing.TB) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("building quarry needs the go command on PATH: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "quarry")
	ctx, cancel := context.WithTimeout(ctx, buildTimeout)
	defer cancel()
	MustRun(ctx, t, nil, goBin, "build", "-o", bin, quarryPackage)
	return bin
}

// QuarryOptions says how to start one `quarry serve`.
type QuarryOptions struct {
	Bin        string // from BuildQuarry
	DNS        string // resolver host:port for validation, e.g. a testdns server
	VAHTTPPort int    // where the VA connects for http-01
	VATLSPort  int    // where the VA connects for tls-alpn-01
	ExtraArgs  []string
}

// StartQuarry starts `quarry serve` in the dev preset on free loopback
// ports with a fresh data directory, and waits until its directory answers.
func StartQuarry(ctx context.Context, t testing.TB, opts QuarryOptions) *CA {
	t.Helper()
	dataDir := t.TempDir()
	listen := net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t)))
	argv := []string{
		opts.Bin, "serve",
		"--data-dir", dataDir,
		"--listen", listen,
		"--http-listen", net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t))),
		"--preset", "dev",
		"--va-http-port", strconv.Itoa(opts.VAHTTPPort),
		"--va-tls-port", strconv.Itoa(opts.VATLSPort),
		"--dns-resolver", opts.DNS,
		"--allow-private-addresses",
		"--log-level", "debug",
	}
	argv = append(argv, opts.ExtraArgs...)
	ca := &CA{
		Name:         "quarry",
		DirectoryURL: "https://" + listen + "/directory",
		RootsFile:    filepath.Join(dataDir, "roots.pem"),
		Proc:         StartProc(t, "quarry", nil, argv...),
	}
	t.Cleanup(func() {
		if err := ca.Proc.Stop(); err != nil {
			t.Errorf("quarry did not exit cleanly on SIGTERM: %v", err)
		}
	})
	mustReady(ctx, t, ca)
	return ca
}
