package mason

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/test/harness"
)

// suite is the mason binary pointed at one Pebble with one config dir.
type suite struct {
	ctx    context.Context
	t      *testing.T
	bin    string
	p      *pebble
	config string
}

func (s *suite) run(args ...string) (int, string, string) {
	s.t.Helper()
	cmd := 1
	if args[0] == "account" {
		cmd = 2 // flags follow the subcommand
	}
	full := append(append(slices.Clone(args[:cmd]), "--config-dir", s.config, "--server", s.p.DirectoryURL, "--ca-bundle", s.p.TLSRootFile), args[cmd:]...)
	return masonRun(s.ctx, s.t, s.bin, full...)
}

// mustRun runs mason and fails the test unless it exits 0.
func (s *suite) mustRun(args ...string) string {
	s.t.Helper()
	code, stdout, stderr := s.run(args...)
	if code != 0 {
		s.t.Fatalf("got exit %d from mason %s, want 0:\n%s%s", code, args[0], stdout, stderr)
	}
	return stdout
}

// leaf reads live/<name>/cert.pem and checks that fullchain.pem verifies
// to one of Pebble's roots for every name.
func (s *suite) leaf(name string, names ...string) *x509.Certificate {
	s.t.Helper()
	certs := harness.ReadCerts(s.t, filepath.Join(s.config, "live", name, "fullchain.pem"))
	if len(certs) < 2 {
		s.t.Fatalf("got %d certificates in %s's fullchain, want leaf and issuer", len(certs), name)
	}
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	roots := s.p.IssuanceRoots(s.ctx, s.t)
	for _, n := range names {
		if _, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: n}); err != nil {
			s.t.Errorf("got %v verifying %s for %s, want a chain to Pebble's root", err, name, n)
		}
	}
	if fi, err := os.Stat(filepath.Join(s.config, "live", name, "privkey.pem")); err != nil || fi.Mode().Perm() != 0o600 {
		s.t.Errorf("got privkey of %s %v (%v), want mode 0600", name, fi, err)
	}
	return certs[0]
}

// chainTop returns the last certificate of live/<name>/fullchain.pem.
func (s *suite) chainTop(name string) *x509.Certificate {
	s.t.Helper()
	certs := harness.ReadCerts(s.t, filepath.Join(s.config, "live", name, "fullchain.pem"))
	return certs[len(certs)-1]
}

// serveWebroot serves root with a plain file server where Pebble fetches
// http-01, as an operator's web server would.
func (s *suite) serveWebroot(root string) func() {
	s.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(s.p.httpPort))
	if err != nil {
		s.t.Fatal(err)
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(root)), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return func() { _ = srv.Close() }
}

// TestPebble runs every mason command a certbot user needs against Pebble:
// the steps share one account and run in order.
func TestPebble(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	p := startPebble(ctx, t)
	s := &suite{ctx: ctx, t: t, bin: buildMason(ctx, t), p: p, config: filepath.Join(t.TempDir(), "mason")}
	httpPort, tlsPort := strconv.Itoa(p.httpPort), strconv.Itoa(p.tlsPort)

	out := s.mustRun("register", "--agree-tos", "--email", "admin@mason.test")
	if !strings.Contains(out, "Account registered") {
		t.Errorf("got register output %q, want the account URL", out)
	}

	s.mustRun("certonly", "-d", "one.mason.test", "-d", "two.mason.test", "--standalone", "--http-port", httpPort)
	standalone := s.leaf("one.mason.test", "one.mason.test", "two.mason.test")

	webroot := t.TempDir()
	stop := s.serveWebroot(webroot)
	// certbot's spelling: --webroot picks the authenticator, -w the path.
	s.mustRun("certonly", "-n", "--webroot", "-w", webroot, "-d", "web.mason.test")
	challDir := filepath.Join(webroot, ".well-known", "acme-challenge")
	auth := `mkdir -p ` + challDir + ` && printf %s "$CERTBOT_VALIDATION" > ` + challDir + `/"$CERTBOT_TOKEN"`
	cleanup := `rm -f ` + challDir + `/"$CERTBOT_TOKEN"`
	s.mustRun("certonly", "-d", "manual.mason.test", "--manual", "--manual-auth-hook", auth, "--manual-cleanup-hook", cleanup)
	s.leaf("manual.mason.test", "manual.mason.test")
	out = s.mustRun("certonly", "-d", "dry.mason.test", "--webroot", webroot, "--dry-run")
	if _, err := os.Stat(filepath.Join(s.config, "renewal", "dry.mason.test.conf")); !os.IsNotExist(err) || !strings.Contains(out, "nothing was saved") {
		t.Errorf("got %q and renewal config (%v) after a dry run, want nothing saved", out, err)
	}
	stop()
	s.mustRun("delete", "--cert-name", "manual.mason.test")
	if _, err := os.Lstat(filepath.Join(s.config, "live", "manual.mason.test")); !os.IsNotExist(err) {
		t.Errorf("got %v for the deleted lineage, want it gone", err)
	}
	s.leaf("web.mason.test", "web.mason.test")
	if left, _ := filepath.Glob(filepath.Join(webroot, ".well-known", "acme-challenge", "*")); len(left) != 0 {
		t.Errorf("got %v left in the webroot, want the tokens removed", left)
	}

	s.mustRun("certonly", "-d", "alpn.mason.test", "--tls-alpn", "--tls-port", tlsPort, "--key-type", "rsa")
	s.leaf("alpn.mason.test", "alpn.mason.test")

	out = s.mustRun("renew", "--cert-name", "one.mason.test", "--force-renewal")
	renewed := s.leaf("one.mason.test", "one.mason.test", "two.mason.test")
	if renewed.SerialNumber.Cmp(standalone.SerialNumber) == 0 || !strings.Contains(out, "renewing") {
		t.Errorf("got serial %x after forced renewal (output %q), want a new certificate", renewed.SerialNumber, out)
	}

	out = s.mustRun("renew", "--json")
	if !strings.Contains(out, `"lifetime rule"`) || strings.Contains(out, `"renewed": true`) {
		t.Errorf("got renew output %s without ARI, want nothing due by the lifetime rule", out)
	}
	out = s.mustRun("renew", "--cert-name", "alpn.mason.test")
	if !strings.HasPrefix(out, "alpn.mason.test: not due; renewal planned at ") || !strings.HasSuffix(out, " UTC (a third of the lifetime left)\n") {
		t.Errorf("got renew output %q, want the planned time by the lifetime rule", out)
	}
	out = s.mustRun("certificates", "--json")
	var listed []struct {
		Name        string
		RenewalRule string         `json:"renewal_rule"`
		RenewalDue  time.Time      `json:"renewal_due"`
		NotAfter    time.Time      `json:"not_after"`
		ARIWindow   map[string]any `json:"ari_window"`
	}
	if err := json.Unmarshal([]byte(out), &listed); err != nil || len(listed) == 0 {
		t.Fatalf("got certificates %s (%v), want the lineages", out, err)
	}
	for _, l := range listed {
		if l.RenewalRule != "lifetime rule" || l.ARIWindow != nil || !l.RenewalDue.Before(l.NotAfter) {
			t.Errorf("got %s renewal %q at %v with window %v, want the lifetime rule before expiry and no ARI window from Pebble", l.Name, l.RenewalRule, l.RenewalDue, l.ARIWindow)
		}
	}

	alt := p.Root(ctx, t, 1)
	s.mustRun("certonly", "-d", "chain.mason.test", "--standalone", "--http-port", httpPort, "--preferred-chain", alt.Subject.CommonName)
	s.leaf("chain.mason.test", "chain.mason.test")
	if top := s.chainTop("chain.mason.test"); top.Issuer.CommonName != alt.Subject.CommonName {
		t.Errorf("got chain ending under %q, want the alternate root %q", top.Issuer.CommonName, alt.Subject.CommonName)
	}

	before := s.leaf("web.mason.test", "web.mason.test")
	live := filepath.Join(s.config, "live", "web.mason.test")
	s.mustRun("revoke", "--cert-path", filepath.Join(live, "cert.pem"), "--key-path", filepath.Join(live, "privkey.pem"), "--reason", "keycompromise")
	if got := p.CertStatus(ctx, t, before); got != "Revoked" {
		t.Errorf("got pebble status %q after revoking by the certificate key, want Revoked", got)
	}

	s.mustRun("account", "rollover")
	if out := s.mustRun("account", "show"); !strings.Contains(out, "valid") {
		t.Errorf("got account show %q after rollover, want the valid account", out)
	}

	s.mustRun("revoke", "--cert-name", "one.mason.test")
	if got := p.CertStatus(ctx, t, renewed); got != "Revoked" {
		t.Errorf("got pebble status %q after revoke, want Revoked", got)
	}
	code, stdout, stderr := s.run("revoke", "--cert-name", "one.mason.test")
	if code != 1 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.HasPrefix(stderr, "mason: the CA says ") ||
		!strings.HasSuffix(stderr, "; nothing to do.\n") || stdout != "" {
		t.Errorf("got exit %d stderr %q stdout %q revoking twice, want 1 and one sentence", code, stderr, stdout)
	}
}
