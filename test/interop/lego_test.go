package interop

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/quarry-ca/quarry/test/harness"
)

// lego runs one lego command with the account, path and domain flags every
// command needs; ordered so that the subcommand and its flags come last.
func lego(t *testing.T, e *env, envv []string, dir string, global []string, names []string, cmd ...string) {
	t.Helper()
	argv := []string{"lego", "--server", e.ca.DirectoryURL, "--email", "a@example.org",
		"--accept-tos", "--path", dir}
	argv = append(argv, global...)
	for _, n := range names {
		argv = append(argv, "-d", n)
	}
	argv = append(argv, cmd...)
	harness.MustRun(e.ctx, t, append([]string{"LEGO_CA_CERTIFICATES=" + e.ca.RootsFile}, envv...), argv...)
}

// lego obtains a two-name certificate over http-01 with its own server,
// renews it, then revokes it for key compromise.
func testLegoHTTP(t *testing.T, e *env) {
	dir := t.TempDir()
	names := []string{"a.quarry.test", "b.quarry.test"}
	http := []string{"--http", "--http.port", "127.0.0.1:" + strconv.Itoa(e.vaHTTPPort)}

	lego(t, e, nil, dir, http, names, "run")
	first := checkLegoCert(t, e, dir, names[0], names)

	// --days beyond any profile's lifetime makes the renewal due now.
	lego(t, e, nil, dir, http, names, "renew", "--days", "3650", "--no-random-sleep")
	second := checkLegoCert(t, e, dir, names[0], names)
	if first == second {
		t.Errorf("got serial %s after renewal, want a new certificate", second)
	}

	// lego revokes the certificate stored under each -d name; ours is
	// stored under the first.
	lego(t, e, nil, dir, http, names[:1], "revoke", "--reason", "1")
	if _, err := os.Stat(filepath.Join(dir, "certificates", names[0]+".crt")); !os.IsNotExist(err) {
		t.Errorf("got the certificate still in place after revoke (err %v), want it archived", err)
	}
}

// lego obtains a wildcard and its base name over dns-01, publishing TXT
// records in the test DNS server with TSIG-signed RFC 2136 updates.
func testLegoDNS(t *testing.T, e *env) {
	dir := t.TempDir()
	names := []string{"*.w.quarry.test", "w.quarry.test"}
	envv := []string{
		"RFC2136_NAMESERVER=" + e.dns.Addr(),
		"RFC2136_TSIG_KEY=" + tsigKey,
		"RFC2136_TSIG_SECRET=" + e.tsigSecret,
		"RFC2136_TSIG_ALGORITHM=hmac-sha256.",
		// lego waits this many seconds between sequential challenges.
		"RFC2136_SEQUENCE_INTERVAL=1",
		"RFC2136_POLLING_INTERVAL=1",
		"RFC2136_PROPAGATION_TIMEOUT=30",
	}
	// Propagation is checked through the test DNS only; the check against
	// each authoritative server would go to port 53.
	dns := []string{"--dns", "rfc2136", "--dns.resolvers", e.dns.Addr(), "--dns.disable-cp"}

	lego(t, e, envv, dir, dns, names, "run")
	checkLegoCert(t, e, dir, "_.w.quarry.test", names)
	if got := e.dns.TXT("_acme-challenge.w.quarry.test"); len(got) != 0 {
		t.Errorf("got TXT %q left after lego finished, want none", got)
	}
}

// checkLegoCert checks certificates/<file>.{crt,issuer.crt,key} and returns
// the leaf's serial.
func checkLegoCert(t *testing.T, e *env, dir, file string, names []string) string {
	t.Helper()
	base := filepath.Join(dir, "certificates", file)
	leaf := harness.ReadCerts(t, base+".crt")[0]
	harness.CheckNames(t, leaf, names...)
	harness.VerifyChain(e.ctx, t, e.ca.RootsFile, base+".issuer.crt", base+".crt")
	if _, err := os.Stat(base + ".key"); err != nil {
		t.Errorf("got no private key: %v", err)
	}
	return leaf.SerialNumber.Text(16)
}
