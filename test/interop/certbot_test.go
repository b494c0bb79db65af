package interop

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/quarry-ca/quarry/test/harness"
)

// certbot obtains a two-name certificate over http-01 with its standalone
// server, force-renews it, revokes it for key compromise, and deletes it.
func testCertbot(t *testing.T, e *env) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	showLogOnFailure(t, filepath.Join(logs, "letsencrypt.log"))
	envv := []string{"REQUESTS_CA_BUNDLE=" + e.ca.RootsFile}
	certbotArgv := func(args []string) []string {
		argv := append([]string{"certbot"}, args...)
		return append(argv,
			"--server", e.ca.DirectoryURL,
			"--config-dir", filepath.Join(dir, "config"),
			"--work-dir", filepath.Join(dir, "work"),
			"--logs-dir", logs,
			"--non-interactive")
	}
	certbot := func(args ...string) {
		t.Helper()
		harness.MustRun(e.ctx, t, envv, certbotArgv(args)...)
	}
	names := []string{"a.quarry.test", "b.quarry.test"}
	live := filepath.Join(dir, "config", "live", "interop")

	certbot("certonly", "--standalone",
		"--http-01-port", strconv.Itoa(e.vaHTTPPort), "--http-01-address", "127.0.0.1",
		"--agree-tos", "--email", "a@example.org", "--cert-name", "interop",
		"-d", names[0], "-d", names[1])
	first := checkCertbotLineage(t, e, live, names)

	certbot("renew", "--cert-name", "interop", "--force-renewal", "--no-random-sleep-on-renew")
	second := checkCertbotLineage(t, e, live, names)
	if first == second {
		t.Errorf("got serial %s after renewal, want a new certificate", second)
	}

	revoke := []string{"revoke", "--cert-path", filepath.Join(live, "cert.pem"),
		"--reason", "keycompromise", "--no-delete-after-revoke"}
	certbot(revoke...)
	// The server, not just certbot, must know: a second revocation is
	// refused as alreadyRevoked. Certbot 2.1 hides the problem behind an
	// AttributeError on stdout, so look for it in what the run logged.
	logFile := filepath.Join(logs, "letsencrypt.log")
	before := len(readFile(t, logFile))
	_, err := harness.Run(e.ctx, t, envv, certbotArgv(revoke)...)
	added := readFile(t, logFile)
	if len(added) >= before { // else certbot rotated its log
		added = added[before:]
	}
	const problem = "urn:ietf:params:acme:error:alreadyRevoked"
	if err == nil || !strings.Contains(added, problem) {
		t.Errorf("got second revoke error %v and no %s in certbot's log, want both", err, problem)
	}
	certbot("delete", "--cert-name", "interop")
	if _, err := os.Stat(live); !os.IsNotExist(err) {
		t.Errorf("got %s still there after delete (err %v), want it gone", live, err)
	}
}

// checkCertbotLineage checks live/<name>/ and returns the leaf's serial.
func checkCertbotLineage(t *testing.T, e *env, live string, names []string) string {
	t.Helper()
	cert := filepath.Join(live, "cert.pem")
	chain := filepath.Join(live, "chain.pem")
	fullchain := filepath.Join(live, "fullchain.pem")
	if _, err := tls.LoadX509KeyPair(fullchain, filepath.Join(live, "privkey.pem")); err != nil {
		t.Fatalf("got unusable fullchain.pem and privkey.pem: %v", err)
	}
	leaf := harness.ReadCerts(t, cert)[0]
	harness.CheckNames(t, leaf, names...)
	if got, want := len(harness.ReadCerts(t, fullchain)), 1+len(harness.ReadCerts(t, chain)); got != want {
		t.Errorf("got %d certificates in fullchain.pem, want %d (leaf and chain)", got, want)
	}
	harness.VerifyChain(e.ctx, t, e.ca.RootsFile, chain, cert)
	return leaf.SerialNumber.Text(16)
}

// showLogOnFailure logs a client's own log file if the test fails.
func showLogOnFailure(t *testing.T, path string) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		if b, err := os.ReadFile(path); err == nil {
			t.Logf("---- %s ----\n%s", path, b)
		}
	})
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return string(b)
}
