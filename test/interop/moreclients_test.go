package interop

import (
	"context"
	"testing"

	"github.com/quarry-ca/quarry/test/harness"
)

// webEnv is a CA whose http-01 validations all land on one shared webroot
// server, so clients that write challenge files (dehydrated, uacme,
// acme-tiny, acmetool, the Ruby library) and Caddy, which answers through
// the webroot's fallback, can run at the same time.
type webEnv struct {
	*env
	web       *harness.Webroot
	txtAPI    string // URL of startTXTAPI, for dns-01 hook scripts
	vaTLSPort int    // Caddy serves HTTPS, tls-alpn-01 included, here
}

func TestMoreClientsQuarry(t *testing.T) {
	t.Parallel()
	w := newWebEnv(t, func(ctx context.Context, dns string, httpPort, tlsPort int) *harness.CA {
		return harness.StartQuarry(ctx, t, harness.QuarryOptions{
			Bin: harness.BuildQuarry(ctx, t), DNS: dns, VAHTTPPort: httpPort, VATLSPort: tlsPort,
		})
	})
	runMoreClients(t, w)
}

// TestMoreClientsPebble runs the same clients against Pebble, so a failure
// only against quarry points at quarry rather than at the harness.
func TestMoreClientsPebble(t *testing.T) {
	t.Parallel()
	harness.RequireTools(t, strict(), "pebble")
	w := newWebEnv(t, func(ctx context.Context, dns string, httpPort, tlsPort int) *harness.CA {
		return harness.StartPebble(ctx, t, harness.PebbleOptions{
			DNS: dns, VAHTTPPort: httpPort, VATLSPort: tlsPort,
		})
	})
	runMoreClients(t, w)
}

func newWebEnv(t *testing.T, start func(ctx context.Context, dns string, vaHTTPPort, vaTLSPort int) *harness.CA) *webEnv {
	t.Helper()
	w := &webEnv{}
	w.env = newEnv(t, func(ctx context.Context, dns string, httpPort, tlsPort int) *harness.CA {
		w.vaTLSPort = tlsPort
		w.web = harness.StartWebroot(t, httpPort)
		return start(ctx, dns, httpPort, tlsPort)
	})
	w.txtAPI = startTXTAPI(t, w.dns)
	return w
}

// runMoreClients runs every client at once against one CA: each has its
// own names, account and state directory.
func runMoreClients(t *testing.T, w *webEnv) {
	// tools are the programs each case runs, from scripts/deps.sh.
	cases := []struct {
		name  string
		tools []string
		run   func(t *testing.T, w *webEnv)
	}{
		{name: "dehydrated http-01 obtain renew revoke deactivate", tools: []string{"dehydrated", "curl"}, run: testDehydrated},
		{name: "uacme http-01 obtain renew rollover revoke deactivate", tools: []string{"uacme", "unshare"}, run: testUacme},
		{name: "uacme dns-01 wildcard", tools: []string{"uacme", "unshare", "curl"}, run: testUacmeDNS},
		{name: "acme-tiny http-01 obtain twice", tools: []string{"acme-tiny"}, run: testAcmeTiny},
		{name: "caddy http-01 and tls-alpn-01 serve", tools: []string{"caddy"}, run: testCaddy},
		{name: "acmetool http-01 obtain", tools: []string{"acmetool"}, run: testAcmetool},
		{name: "certbot account register update unregister", tools: []string{"certbot"}, run: testCertbotAccount},
		{name: "ruby acme-client every operation", tools: []string{"ruby"}, run: testRubyACME},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			harness.RequireTools(t, strict(), tc.tools...)
			tc.run(t, w)
		})
	}
}
