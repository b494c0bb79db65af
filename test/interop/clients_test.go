package interop

import (
	"context"
	"testing"

	"github.com/quarry-ca/quarry/test/harness"
)

func TestClientsQuarry(t *testing.T) {
	e := newEnv(t, func(ctx context.Context, dns string, httpPort, tlsPort int) *harness.CA {
		return harness.StartQuarry(ctx, t, harness.QuarryOptions{
			Bin:        harness.BuildQuarry(ctx, t),
			DNS:        dns,
			VAHTTPPort: httpPort,
			VATLSPort:  tlsPort,
		})
	})
	runClients(t, e)
}

// TestClientsPebble runs the same clients against Pebble, so a failure
// only against quarry points at quarry rather than at the harness.
func TestClientsPebble(t *testing.T) {
	harness.RequireTools(t, strict(), "pebble")
	e := newEnv(t, func(ctx context.Context, dns string, httpPort, tlsPort int) *harness.CA {
		return harness.StartPebble(ctx, t, harness.PebbleOptions{
			DNS: dns, VAHTTPPort: httpPort, VATLSPort: tlsPort,
		})
	})
	runClients(t, e)
}

// runClients runs every client case against one CA, in order; they share
// the CA but not their state directories.
func runClients(t *testing.T, e *env) {
	cases := []struct {
		name string
		run  func(t *testing.T, e *env)
	}{
		{name: "certbot http-01 obtain renew revoke", run: testCertbot},
		{name: "lego http-01 obtain renew revoke", run: testLegoHTTP},
		{name: "lego dns-01 rfc2136 wildcard", run: testLegoDNS},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, e) })
	}
}
