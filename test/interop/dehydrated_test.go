package interop

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quarry-ca/quarry/test/harness"
)

// dehydrated registers, obtains a two-name certificate over http-01 by
// writing into the shared webroot, force-renews it, revokes it, and
// deactivates its account, after which the server refuses the account.
func testDehydrated(t *testing.T, w *webEnv) {
	dir := t.TempDir()
	names := []string{"dehydrated-a.quarry.test", "dehydrated-b.quarry.test"}
	cfg := filepath.Join(dir, "config")
	conf := fmt.Sprintf(`CA=%q
BASEDIR=%q
WELLKNOWN=%q
CHALLENGETYPE="http-01"
CONTACT_EMAIL="a@example.org"
KEY_ALGO="prime256v1"
OCSP_FETCH="no"
OCSP_MUST_STAPLE="no"
RENEW_DAYS="30"
`, w.ca.DirectoryURL, dir, w.web.Dir)
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	// dehydrated talks to the CA with curl, which reads this.
	envv := []string{"CURL_CA_BUNDLE=" + w.ca.RootsFile}
	run := func(args ...string) string {
		t.Helper()
		return harness.MustRun(w.ctx, t, envv, append([]string{"dehydrated", "--config", cfg}, args...)...)
	}
	domains := []string{"--domain", names[0], "--domain", names[1], "--alias", "interop"}

	run("--register", "--accept-terms")
	run(append([]string{"--cron"}, domains...)...)
	live := filepath.Join(dir, "certs", "interop")
	first := checkCertbotLineage(t, w.env, live, names)

	run(append([]string{"--cron", "--force"}, domains...)...)
	second := checkCertbotLineage(t, w.env, live, names)
	if first == second {
		t.Errorf("got serial %s after renewal, want a new certificate", second)
	}

	// dehydrated renames what it revoked, so it revokes a copy, and the
	// second try must fail at the server, not only in dehydrated.
	pemCert := readFile(t, filepath.Join(live, "cert.pem"))
	revoked := filepath.Join(dir, "revoked.pem")
	writeString(t, revoked, pemCert)
	run("--revoke", revoked)
	writeString(t, revoked, pemCert)
	out, err := harness.Run(w.ctx, t, envv, "dehydrated", "--config", cfg, "--revoke", revoked)
	if err == nil || !strings.Contains(out, "alreadyRevoked") {
		t.Errorf("got second revoke error %v, want alreadyRevoked in the output:\n%s", err, out)
	}

	run("--deactivate")
	// dehydrated marks the account deactivated and would stop before asking
	// the server; without the mark, the server itself must refuse.
	marks, _ := filepath.Glob(filepath.Join(dir, "accounts", "*", "deactivated"))
	if len(marks) != 1 {
		t.Fatalf("got deactivation marks %q, want one", marks)
	}
	if err := os.Remove(marks[0]); err != nil {
		t.Fatal(err)
	}
	out, err = harness.Run(w.ctx, t, envv, append([]string{"dehydrated", "--config", cfg, "--cron", "--force"}, domains...)...)
	if err == nil || !strings.Contains(out, "unauthorized") {
		t.Errorf("got error %v issuing with a deactivated account, want unauthorized in the output:\n%s", err, out)
	}
}

func writeString(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}
