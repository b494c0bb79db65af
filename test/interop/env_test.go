package interop

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net"
	"os"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/internal/testdns"
	"github.com/quarry-ca/quarry/test/harness"
)

// suiteTimeout bounds everything one CA's suite does, builds included.
const suiteTimeout = 15 * time.Minute

// tsigKey names the key lego signs its RFC 2136 updates with.
const tsigKey = "interop-key."

// env is one CA with everything its clients need around it.
type env struct {
	ctx        context.Context
	ca         *harness.CA
	dns        *testdns.Server
	vaHTTPPort int
	tsigSecret string
}

// strict says whether missing programs fail the test rather than skip it;
// scripts/test.sh sets CI=true after installing them.
func strict() bool { return os.Getenv("CI") == "true" }

// newEnv starts the test DNS server (every name resolves to 127.0.0.1) and
// asks start for a CA validating against it.
func newEnv(t *testing.T, start func(ctx context.Context, dns string, vaHTTPPort, vaTLSPort int) *harness.CA) *env {
	t.Helper()
	harness.RequireTools(t, strict(), "certbot", "lego", "openssl")
	ctx, cancel := context.WithTimeout(context.Background(), suiteTimeout)
	t.Cleanup(cancel)
	e := &env{ctx: ctx, vaHTTPPort: harness.FreePort(t), tsigSecret: newSecret(t)}
	dns, err := testdns.Start(ctx, testdns.Config{
		DefaultA: []net.IP{net.ParseIP("127.0.0.1")},
		TSIG:     map[string]string{tsigKey: e.tsigSecret},
	})
	if err != nil {
		t.Fatalf("starting test DNS: %v", err)
	}
	t.Cleanup(func() { _ = dns.Close() })
	e.dns = dns
	e.ca = start(ctx, dns.Addr(), e.vaHTTPPort, harness.FreePort(t))
	return e
}

func newSecret(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("generating TSIG secret: %v", err)
	}
	return base64.StdEncoding.EncodeToString(b)
}
