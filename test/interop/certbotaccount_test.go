package interop

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/quarry-ca/quarry/test/harness"
)

// certbot's account commands, which its issuance case does not use:
// register, update the contact, show the account as the server has it,
// and unregister (deactivate), after which the server refuses the account.
func testCertbotAccount(t *testing.T, w *webEnv) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	showLogOnFailure(t, filepath.Join(logs, "letsencrypt.log"))
	envv := []string{"REQUESTS_CA_BUNDLE=" + w.ca.RootsFile}
	argv := func(args ...string) []string {
		return append(append([]string{"certbot"}, args...),
			"--server", w.ca.DirectoryURL,
			"--config-dir", filepath.Join(dir, "config"),
			"--work-dir", filepath.Join(dir, "work"),
			"--logs-dir", logs,
			"--non-interactive")
	}
	certbot := func(args ...string) string {
		t.Helper()
		return harness.MustRun(w.ctx, t, envv, argv(args...)...)
	}

	certbot("register", "--agree-tos", "--email", "a@example.org", "--no-eff-email")
	certbot("update_account", "--email", "b@example.org")
	// show_account fetches the account from the server.
	if out := certbot("show_account"); !strings.Contains(out, "b@example.org") {
		t.Errorf("got show_account output without the updated contact b@example.org:\n%s", out)
	}
	// certbot deletes the account's key when it unregisters; put it back
	// afterwards, so that the server, not certbot, must refuse it.
	accounts := filepath.Join(dir, "config", "accounts")
	saved := filepath.Join(dir, "accounts-saved")
	harness.MustRun(w.ctx, t, nil, "cp", "-a", accounts, saved)
	certbot("unregister")
	harness.MustRun(w.ctx, t, nil, "rm", "-rf", accounts)
	harness.MustRun(w.ctx, t, nil, "cp", "-a", saved, accounts)
	// Certbot 2.1 hides the problem behind an AttributeError on stdout, so
	// look for it in the log, which certbot starts afresh on every run.
	_, err := harness.Run(w.ctx, t, envv, argv("show_account")...)
	added := readFile(t, filepath.Join(logs, "letsencrypt.log"))
	const problem = "urn:ietf:params:acme:error:unauthorized"
	if err == nil || !strings.Contains(added, problem) {
		t.Errorf("got show_account error %v after unregister and no %s in certbot's log, want both", err, problem)
	}
}
