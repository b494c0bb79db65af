package interop

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/test/harness"
)

// uacmeHook answers http-01 by writing the key authorization into the
// shared webroot and declines every other challenge type, so uacme moves
// on to http-01. uacme calls it as: hook METHOD TYPE IDENT TOKEN KEYAUTH.
const uacmeHook = `#!/bin/sh
[ "$2" = http-01 ] || exit 1
case "$1" in
begin) printf '%s' "$5" >"$WEBROOT/$4" ;;
done | failed) rm -f "$WEBROOT/$4" ;;
esac
`

// uacme creates an account, obtains a two-name certificate over http-01,
// force-renews it, rolls its account key over and renews with the new
// key, revokes the certificate with the account key and the one before it
// with the certificate's own key, and deactivates the account, after which
// the server refuses it.
func testUacme(t *testing.T, w *webEnv) {
	dir := t.TempDir()
	names := []string{"uacme-a.quarry.test", "uacme-b.quarry.test"}
	confdir := filepath.Join(dir, "uacme")
	envv := []string{"WEBROOT=" + w.web.Dir}
	uacmeArgv := uacmeCommand(t, w, dir, uacmeHook)
	uacme := func(args ...string) string {
		t.Helper()
		return harness.MustRun(w.ctx, t, envv, uacmeArgv(args)...)
	}
	cert := filepath.Join(confdir, names[0], "cert.pem")
	check := func() string {
		t.Helper()
		harness.CheckNames(t, harness.ReadCerts(t, cert)[0], names...)
		harness.VerifyChain(w.ctx, t, w.ca.RootsFile, cert, cert)
		return harness.ReadCerts(t, cert)[0].SerialNumber.Text(16)
	}

	uacme("new", "a@example.org")
	uacme(append([]string{"issue"}, names...)...)
	first := check()

	reissue := func() {
		t.Helper()
		// uacme keeps the old certificate as cert-<unix seconds>.pem and
		// fails if that name is taken, so two issues need distinct seconds.
		time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
		uacme(append([]string{"-f", "issue"}, names...)...)
	}
	reissue()
	second := check()
	secondPEM := readFile(t, cert)
	if first == second {
		t.Errorf("got serial %s after renewal, want a new certificate", second)
	}

	uacme("newkey")
	reissue()
	third := check()
	if third == second {
		t.Errorf("got serial %s after renewal with the new key, want a new certificate", third)
	}

	// uacme renames what it revoked, so it revokes a copy, and the second
	// try must fail at the server, not only in uacme.
	pemCert := readFile(t, cert)
	revoked := filepath.Join(dir, "revoked.pem")
	writeString(t, revoked, pemCert)
	uacme("revoke", revoked)
	writeString(t, revoked, pemCert)
	out, err := harness.Run(w.ctx, t, envv, uacmeArgv([]string{"revoke", revoked})...)
	if err == nil || !strings.Contains(out, "alreadyRevoked") {
		t.Errorf("got second revoke error %v, want alreadyRevoked in the output:\n%s", err, out)
	}

	// The renewed certificate before it, revoked by its own key (a JWS with
	// jwk rather than the account's kid).
	byKey := filepath.Join(dir, "by-key.pem")
	writeString(t, byKey, secondPEM)
	uacme("revoke", byKey, filepath.Join(confdir, "private", names[0], "key.pem"))

	uacme("deactivate")
	out, err = harness.Run(w.ctx, t, envv, uacmeArgv(append([]string{"-f", "issue"}, names...))...)
	if err == nil || !strings.Contains(out, "unauthorized") {
		t.Errorf("got error %v issuing with a deactivated account, want unauthorized in the output:\n%s", err, out)
	}
}

// uacmeDNSHook answers dns-01 by publishing the TXT value uacme hands it
// through the test's TXT API and declines every other challenge type.
const uacmeDNSHook = `#!/bin/sh
[ "$2" = dns-01 ] || exit 1
case "$1" in
begin) action=add ;;
*) action=remove ;;
esac
exec curl -fsS --data-urlencode "name=_acme-challenge.$3" --data-urlencode "value=$5" "$TXTAPI/$action"
`

// uacme obtains a wildcard and its base name over dns-01, its hook script
// publishing both TXT values at one name; none is left afterwards.
func testUacmeDNS(t *testing.T, w *webEnv) {
	dir := t.TempDir()
	names := []string{"*.uw.quarry.test", "uw.quarry.test"}
	uacmeArgv := uacmeCommand(t, w, dir, uacmeDNSHook)
	envv := []string{"TXTAPI=" + w.txtAPI}
	harness.MustRun(w.ctx, t, envv, uacmeArgv([]string{"new", "a@example.org"})...)
	harness.MustRun(w.ctx, t, envv, uacmeArgv(append([]string{"issue"}, names...))...)
	// uacme names the directory after the first name without "*.".
	cert := filepath.Join(dir, "uacme", "uw.quarry.test", "cert.pem")
	harness.CheckNames(t, harness.ReadCerts(t, cert)[0], names...)
	harness.VerifyChain(w.ctx, t, w.ca.RootsFile, cert, cert)
	if got := w.dns.TXT("_acme-challenge.uw.quarry.test"); len(got) != 0 {
		t.Errorf("got TXT %q left after uacme finished, want none", got)
	}
}

// uacmeCommand writes hook into dir and returns a function building uacme
// command lines with their config in dir/uacme. uacme (libcurl with
// GnuTLS) trusts only the system store, so each run happens in a private
// mount namespace whose /etc/ssl/certs holds the CA's roots alone.
func uacmeCommand(t *testing.T, w *webEnv, dir, hook string) func(args []string) []string {
	t.Helper()
	if os.Geteuid() != 0 {
		if strict() {
			t.Fatal("uacme's private trust store needs a mount namespace, which needs root")
		}
		t.Skip("skipping: uacme's private trust store needs a mount namespace, which needs root")
	}
	trust := filepath.Join(dir, "trust")
	if err := os.MkdirAll(trust, 0o755); err != nil {
		t.Fatal(err)
	}
	writeString(t, filepath.Join(trust, "ca-certificates.crt"), readFile(t, w.ca.RootsFile))
	hookFile := filepath.Join(dir, "hook.sh")
	if err := os.WriteFile(hookFile, []byte(hook), 0o700); err != nil {
		t.Fatal(err)
	}
	confdir := filepath.Join(dir, "uacme")
	return func(args []string) []string {
		// -o: no OCSP check of the issued certificate; -y: accept terms.
		argv := []string{"unshare", "--mount", "--propagation", "private", "sh", "-c",
			`mount --bind "$0" /etc/ssl/certs && exec "$@"`, trust,
			"uacme", "-v", "-o", "-y", "-a", w.ca.DirectoryURL, "-c", confdir, "-h", hookFile}
		return append(argv, args...)
	}
}
