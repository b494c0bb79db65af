package interop

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/quarry-ca/quarry/test/harness"
)

// publicDomain is the test's own zone; its test DNS server answers every
// name under it with 127.0.0.1.
const publicDomain = "quarry-interop.net"

// caaIdentity is the issuer domain that means Quarry in CAA records.
const caaIdentity = "quarry.interop"

// TestPublicPresetQuarry runs certbot and lego against `quarry serve` in
// the public preset with its defaults (rate limits on), names under a zone
// the test controls with CAA records naming Quarry: issuance works, a .test
// name and a name whose CAA names another CA are refused, and the
// CertificatesPerFQDNSet limit (5 per 7 days) refuses the sixth certificate
// for one set of names.
func TestPublicPresetQuarry(t *testing.T) {
	cfgFile := filepath.Join(t.TempDir(), "quarry.yaml")
	if err := os.WriteFile(cfgFile, []byte("acme:\n  caa-identities: ["+caaIdentity+"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(ctx context.Context, dnsAddr string, httpPort, tlsPort int) *harness.CA {
		return harness.StartQuarry(ctx, t, harness.QuarryOptions{
			Bin: harness.BuildQuarry(ctx, t), DNS: dnsAddr, VAHTTPPort: httpPort, VATLSPort: tlsPort,
			// The last --preset wins; loopback stays reachable because
			// the harness passes --allow-private-addresses.
			ExtraArgs: []string{"--config", cfgFile, "--preset", "public"},
		})
	})
	e.dns.SetCAA(publicDomain, &dns.CAA{Tag: "issue", Value: caaIdentity})
	e.dns.SetCAA("other-ca."+publicDomain, &dns.CAA{Tag: "issue", Value: "ca.example"})

	t.Run("certbot http-01 under CAA", func(t *testing.T) {
		dir := t.TempDir()
		logs := filepath.Join(dir, "logs")
		showLogOnFailure(t, filepath.Join(logs, "letsencrypt.log"))
		names := []string{"a." + publicDomain, "b." + publicDomain}
		harness.MustRun(e.ctx, t, []string{"REQUESTS_CA_BUNDLE=" + e.ca.RootsFile},
			"certbot", "certonly", "--standalone",
			"--http-01-port", strconv.Itoa(e.vaHTTPPort), "--http-01-address", "127.0.0.1",
			"--agree-tos", "--email", "a@example.org", "--cert-name", "public",
			"-d", names[0], "-d", names[1],
			"--server", e.ca.DirectoryURL, "--config-dir", filepath.Join(dir, "config"),
			"--work-dir", filepath.Join(dir, "work"), "--logs-dir", logs, "--non-interactive")
		checkCertbotLineage(t, e, filepath.Join(dir, "config", "live", "public"), names)
	})

	http := []string{"--http", "--http.port", "127.0.0.1:" + strconv.Itoa(e.vaHTTPPort)}
	refused := func(t *testing.T, names []string, wantProblem string, wantText ...string) {
		t.Helper()
		argv := []string{"lego", "--server", e.ca.DirectoryURL, "--email", "a@example.org",
			"--accept-tos", "--path", t.TempDir()}
		argv = append(argv, http...)
		for _, n := range names {
			argv = append(argv, "-d", n)
		}
		out, err := harness.Run(e.ctx, t, []string{"LEGO_CA_CERTIFICATES=" + e.ca.RootsFile}, append(argv, "run")...)
		if err == nil {
			t.Fatalf("got a certificate for %v, want it refused with %s\n%s", names, wantProblem, out)
		}
		for _, want := range append([]string{"urn:ietf:params:acme:error:" + wantProblem}, wantText...) {
			if !strings.Contains(out, want) {
				t.Errorf("got output without %q:\n%s", want, out)
			}
		}
	}

	t.Run("lego refused a .test name", func(t *testing.T) {
		refused(t, []string{"www.quarry.test"}, "rejectedIdentifier")
	})
	t.Run("lego refused by CAA", func(t *testing.T) {
		refused(t, []string{"other-ca." + publicDomain}, "caa")
	})
	t.Run("lego sixth certificate for one name set is rate limited", func(t *testing.T) {
		dir := t.TempDir()
		names := []string{"c." + publicDomain}
		for i := range 5 {
			lego(t, e, nil, dir, http, names, "run")
			checkLegoCert(t, e, dir, names[0], names)
			t.Logf("certificate %d of 5 issued", i+1)
		}
		refused(t, names, "rateLimited", "CertificatesPerFQDNSet: 5 per 168h0m0s", "retry after ")
	})
}
