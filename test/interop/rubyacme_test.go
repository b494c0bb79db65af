package interop

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/quarry-ca/quarry/test/harness"
)

// The Ruby acme-client library (Debian's ruby-acme-client), driven by
// testdata/acme_client.rb: new account, contact update, a two-name
// certificate over http-01 through the shared webroot, authorization
// deactivation, account key change (the new key finds the account, the old
// one is refused), revocation (a second is refused as alreadyRevoked), and
// account deactivation (a new order is then refused as unauthorized).
func testRubyACME(t *testing.T, w *webEnv) {
	dir := t.TempDir()
	names := []string{"ruby-a.quarry.test", "ruby-b.quarry.test"}
	script, err := filepath.Abs(filepath.Join("testdata", "acme_client.rb"))
	if err != nil {
		t.Fatal(err)
	}
	// Ruby's OpenSSL reads this for its default trust store.
	envv := []string{"SSL_CERT_FILE=" + w.ca.RootsFile}
	argv := append([]string{"ruby", script, w.ca.DirectoryURL, w.web.Dir, dir}, names...)
	out := harness.MustRun(w.ctx, t, envv, argv...)
	t.Logf("acme_client.rb:\n%s", out)
	for _, want := range []string{"ok: issue for", "ok: account key change", "ok: second revoke refused",
		"ok: new order after deactivation refused"} {
		if !strings.Contains(out, want) {
			t.Errorf("got output without %q:\n%s", want, out)
		}
	}
	cert := filepath.Join(dir, "cert.pem")
	harness.CheckNames(t, harness.ReadCerts(t, cert)[0], names...)
	harness.VerifyChain(w.ctx, t, w.ca.RootsFile, cert, cert)
}
