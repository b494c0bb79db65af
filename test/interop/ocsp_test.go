package interop

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	xocsp "golang.org/x/crypto/ocsp"

	"github.com/quarry-ca/quarry/internal/testdns"
	"github.com/quarry-ca/quarry/test/harness"
)

// crlWait bounds how long a revocation may take to reach its CRL shard;
// the CA is configured to regenerate 1s after a revocation.
const crlWait = 20 * time.Second

// stapleWait bounds how long nginx may take to fetch its first response.
const stapleWait = 10 * time.Second

// keyCompromise is RFC 5280's CRLReason code for --reason keycompromise.
const keyCompromise = 1

// TestRevocationStatusQuarry checks Quarry's revocation status the way
// relying parties read it. Certbot obtains a certificate from `quarry
// serve` with the OCSP responder on; `openssl ocsp`, asking the URL the
// leaf's AIA names, says good and verifies the response; nginx staples a
// verified response; the CRL from the leaf's distribution point passes
// `openssl verify -crl_check`. Certbot then revokes for key compromise:
// `openssl ocsp` says revoked with that reason, certbot's own OCSP check
// agrees, and the next CRL makes `openssl verify` refuse the leaf. It runs
// once with the intermediates signing OCSP responses and once with
// delegated responder certificates, covering the ECDSA and the RSA
// intermediate; the first also obtains and revokes with mason.
func TestRevocationStatusQuarry(t *testing.T) {
	harness.RequireTools(t, strict(), "certbot", "openssl")
	ctx, cancel := context.WithTimeout(context.Background(), suiteTimeout)
	t.Cleanup(cancel)
	quarry := harness.BuildQuarry(ctx, t)
	mason := harness.BuildMason(ctx, t)
	tests := []struct {
		name       string
		delegated  bool
		certbotKey string // certbot's --key-type
		masonKey   string // mason's --key-type; empty: no mason run
	}{
		{name: "intermediate signs", certbotKey: "ecdsa", masonKey: "rsa"},
		{name: "delegated responder", delegated: true, certbotKey: "rsa"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := startRevocationCA(ctx, t, quarry, tc.delegated)
			t.Run("certbot "+tc.certbotKey, func(t *testing.T) { r.testCertbot(t, tc.certbotKey) })
			if tc.masonKey != "" {
				t.Run("mason "+tc.masonKey, func(t *testing.T) { r.testMason(t, mason, tc.masonKey) })
			}
		})
	}
}

// revocationCA is one `quarry serve` with OCSP on and fast CRL updates.
type revocationCA struct {
	ctx        context.Context
	ca         *harness.CA
	baseURL    string // the plain-HTTP listener: CRLs, OCSP, issuers
	vaHTTPPort int
	delegated  bool
}

func startRevocationCA(ctx context.Context, t *testing.T, bin string, delegated bool) *revocationCA {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf("ocsp:\n  enable: true\n  delegated-responder: %t\ncrl:\n  after-revocation-delay: 1s\n", delegated)
	cfgFile := filepath.Join(dir, "quarry.yaml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	dns := testdns.StartTest(t, testdns.Config{DefaultA: []net.IP{net.ParseIP("127.0.0.1")}})
	// The test must know the plain-HTTP address to check the URLs in the
	// certificates; the last --http-listen wins over the harness's own.
	httpListen := net.JoinHostPort("127.0.0.1", strconv.Itoa(harness.FreePort(t)))
	r := &revocationCA{ctx: ctx, baseURL: "http://" + httpListen, vaHTTPPort: harness.FreePort(t), delegated: delegated}
	r.ca = harness.StartQuarry(ctx, t, harness.QuarryOptions{
		Bin: bin, DNS: dns.Addr(), VAHTTPPort: r.vaHTTPPort, VATLSPort: harness.FreePort(t),
		ExtraArgs: []string{"--config", cfgFile, "--http-listen", httpListen},
	})
	return r
}

// lineage is the files a client wrote for one certificate, plus the ones
// the test derives from them.
type lineage struct {
	cert, chain string
	issuer      string // the first certificate of chain, alone
	leaf        *x509.Certificate
	issuerCert  *x509.Certificate
	dir         string // scratch space for responses and CRLs
}

func (r *revocationCA) testCertbot(t *testing.T, keyType string) {
	dir := t.TempDir()
	logs := filepath.Join(dir, "logs")
	showLogOnFailure(t, filepath.Join(logs, "letsencrypt.log"))
	certbot := func(args ...string) string {
		t.Helper()
		argv := append([]string{"certbot"}, args...)
		argv = append(argv, "--server", r.ca.DirectoryURL,
			"--config-dir", filepath.Join(dir, "config"), "--work-dir", filepath.Join(dir, "work"),
			"--logs-dir", logs, "--non-interactive")
		return harness.MustRun(r.ctx, t, []string{"REQUESTS_CA_BUNDLE=" + r.ca.RootsFile}, argv...)
	}
	certbot("certonly", "--standalone",
		"--http-01-port", strconv.Itoa(r.vaHTTPPort), "--http-01-address", "127.0.0.1",
		"--agree-tos", "--email", "a@example.org", "--cert-name", "ocsp", "-d", "ocsp.quarry.test",
		"--key-type", keyType)
	live := filepath.Join(dir, "config", "live", "ocsp")
	l := r.readLineage(t, filepath.Join(live, "cert.pem"), filepath.Join(live, "chain.pem"), keyType)

	r.checkOCSP(t, l, "good", "")
	t.Run("nginx staples", func(t *testing.T) { r.testStapling(t, l, live, "ocsp.quarry.test") })
	crlURL := l.leaf.CRLDistributionPoints[0]
	leafCRL := filepath.Join(l.dir, "crl-before.pem")
	before := harness.FetchCRL(r.ctx, t, crlURL, leafCRL)
	// The intermediate's own CRL, from the root, lets openssl check the
	// whole chain as well.
	if len(l.issuerCert.CRLDistributionPoints) != 1 {
		t.Fatalf("got CRL distribution points %q in the intermediate, want one", l.issuerCert.CRLDistributionPoints)
	}
	issuerCRL := filepath.Join(l.dir, "crl-issuer.pem")
	harness.FetchCRL(r.ctx, t, l.issuerCert.CRLDistributionPoints[0], issuerCRL)
	for _, all := range []bool{false, true} {
		if out, ok := harness.VerifyWithCRLs(r.ctx, t, r.ca.RootsFile, l.chain, l.cert, all, leafCRL, issuerCRL); !ok {
			t.Fatalf("openssl verify with CRLs (check all %t) before revocation: got\n%s\nwant OK", all, out)
		}
	}

	certbot("revoke", "--cert-path", l.cert, "--reason", "keycompromise", "--no-delete-after-revoke")
	resp := r.checkOCSP(t, l, "revoked", "keyCompromise")
	// certbot keeps no revocation flag of its own: `certificates` asks the
	// leaf's OCSP responder and checks the response's signature.
	if out := certbot("certificates"); !strings.Contains(out, "(INVALID: REVOKED)") {
		t.Errorf("got certbot certificates\n%s\nwant the lineage shown as INVALID: REVOKED", out)
	}
	entry := r.checkCRLRefuses(t, l, crlURL, before.Number, issuerCRL)
	if !resp.RevokedAt.Equal(entry.RevocationTime) {
		t.Errorf("got revocation time %v in OCSP and %v in the CRL, want the same", resp.RevokedAt, entry.RevocationTime)
	}
}

func (r *revocationCA) testMason(t *testing.T, bin, keyType string) {
	dir := t.TempDir()
	config := filepath.Join(dir, "mason")
	mason := func(args ...string) {
		t.Helper()
		argv := append([]string{bin}, args...)
		argv = append(argv, "--config-dir", config, "--server", r.ca.DirectoryURL, "--ca-bundle", r.ca.RootsFile)
		harness.MustRun(r.ctx, t, nil, argv...)
	}
	const name = "mason-ocsp.quarry.test"
	mason("certonly", "--agree-tos", "--email", "a@example.org", "-d", name,
		"--standalone", "--http-port", strconv.Itoa(r.vaHTTPPort), "--key-type", keyType)
	live := filepath.Join(config, "live", name)
	l := r.readLineage(t, filepath.Join(live, "cert.pem"), filepath.Join(live, "chain.pem"), keyType)
	r.checkOCSP(t, l, "good", "")

	mason("revoke", "--cert-name", name, "--reason", "keycompromise")
	r.checkOCSP(t, l, "revoked", "keyCompromise")
}

// testStapling serves the lineage with nginx, OCSP stapling and its
// verification on: nginx fetches the response with a GET (percent-encoded
// base64) from the leaf's AIA and staples it only once it verifies. nginx
// trusts the intermediates it serves as OCSP signers, so a delegated
// responder certificate is what needs the roots in the trusted file.
func (r *revocationCA) testStapling(t *testing.T, l *lineage, live, serverName string) {
	harness.RequireTools(t, strict(), "nginx")
	trusted := filepath.Join(l.dir, "trusted.pem")
	if err := os.WriteFile(trusted, []byte(readFile(t, r.ca.RootsFile)+readFile(t, l.chain)), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := harness.StartNginxStapling(r.ctx, t, harness.NginxStapling{
		FullchainFile: filepath.Join(live, "fullchain.pem"),
		KeyFile:       filepath.Join(live, "privkey.pem"),
		TrustedFile:   trusted,
	})
	if got := harness.StapledStatus(r.ctx, t, addr, serverName, r.ca.RootsFile, stapleWait); got != "good" {
		t.Errorf("got stapled status %q, want good", got)
	}
}

// readLineage checks the chain, that leaf and intermediate have the key
// type asked for, and that the leaf names this CA's OCSP responder and one
// of its CRL shards.
func (r *revocationCA) readLineage(t *testing.T, cert, chain, keyType string) *lineage {
	t.Helper()
	harness.VerifyChain(r.ctx, t, r.ca.RootsFile, chain, cert)
	l := &lineage{cert: cert, chain: chain, dir: t.TempDir(), leaf: harness.ReadCerts(t, cert)[0]}
	l.issuer = filepath.Join(l.dir, "issuer.pem")
	l.issuerCert = harness.WriteFirstCert(t, chain, l.issuer)
	want := map[string]x509.PublicKeyAlgorithm{"ecdsa": x509.ECDSA, "rsa": x509.RSA}[keyType]
	if l.leaf.PublicKeyAlgorithm != want || l.issuerCert.PublicKeyAlgorithm != want {
		t.Fatalf("got a %v leaf from a %v intermediate, want both %v", l.leaf.PublicKeyAlgorithm, l.issuerCert.PublicKeyAlgorithm, want)
	}
	if got, want := l.leaf.OCSPServer, []string{r.baseURL + "/ocsp"}; !slices.Equal(got, want) {
		t.Fatalf("got OCSP URLs %q in the leaf's AIA, want %q", got, want)
	}
	if got := l.leaf.CRLDistributionPoints; len(got) != 1 || !strings.HasPrefix(got[0], r.baseURL+"/crl/") {
		t.Fatalf("got CRL distribution points %q, want one under %s/crl/", got, r.baseURL)
	}
	return l
}

// checkOCSP asks the leaf's AIA responder with openssl and wants status
// (and reason) in a response that verifies to the roots, signed by the
// intermediate or by a responder certificate it issued, as configured.
func (r *revocationCA) checkOCSP(t *testing.T, l *lineage, status, reason string) *xocsp.Response {
	t.Helper()
	respFile := filepath.Join(l.dir, "response-"+status+".der")
	a := harness.QueryOCSP(r.ctx, t, r.ca.RootsFile, l.issuer, l.cert, l.leaf.OCSPServer[0], respFile)
	if a.Status != status || a.Reason != reason || !a.Verified {
		t.Fatalf("got openssl ocsp status %q reason %q verified %t, want %q %q true:\n%s",
			a.Status, a.Reason, a.Verified, status, reason, a.Output)
	}
	der, err := os.ReadFile(respFile)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := xocsp.ParseResponseForCert(der, l.leaf, l.issuerCert)
	if err != nil {
		t.Fatalf("parsing the response openssl saved: %v", err)
	}
	signer := resp.Certificate
	switch {
	case r.delegated && signer == nil:
		t.Errorf("got a response with no responder certificate, want one issued by %q", l.issuerCert.Subject.CommonName)
	case r.delegated && (!slices.Equal(signer.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}) ||
		signer.CheckSignatureFrom(l.issuerCert) != nil):
		t.Errorf("got responder certificate %q with EKU %v, want OCSPSigning only, issued by %q",
			signer.Subject.CommonName, signer.ExtKeyUsage, l.issuerCert.Subject.CommonName)
	case r.delegated && !hasExtension(signer, oidOCSPNoCheck):
		t.Errorf("got responder certificate %q without id-pkix-ocsp-nocheck, want it", signer.Subject.CommonName)
	case !r.delegated && signer != nil:
		t.Errorf("got responder certificate %q in the response, want the intermediate to sign with none", signer.Subject.CommonName)
	}
	if status == "revoked" && resp.RevocationReason != keyCompromise {
		t.Errorf("got OCSP reason %d, want %d (keyCompromise)", resp.RevocationReason, keyCompromise)
	}
	return resp
}

// oidOCSPNoCheck is id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1).
var oidOCSPNoCheck = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 5}

func hasExtension(c *x509.Certificate, oid asn1.ObjectIdentifier) bool {
	return slices.ContainsFunc(c.Extensions, func(e pkix.Extension) bool { return e.Id.Equal(oid) })
}

// checkCRLRefuses polls the leaf's CRL shard until a CRL newer than
// before appears, then wants the leaf in it for key compromise and
// `openssl verify` to refuse the leaf, checking the leaf alone and the
// whole chain (with issuerCRL). It returns the leaf's CRL entry.
func (r *revocationCA) checkCRLRefuses(t *testing.T, l *lineage, url string, before *big.Int, issuerCRL string) x509.RevocationListEntry {
	t.Helper()
	crlFile := filepath.Join(l.dir, "crl-after.pem")
	deadline := time.Now().Add(crlWait)
	crl := harness.FetchCRL(r.ctx, t, url, crlFile)
	for crl.Number.Cmp(before) <= 0 {
		if time.Now().After(deadline) {
			t.Fatalf("got CRL number %v %v after revoking, want one past %v", crl.Number, crlWait, before)
		}
		time.Sleep(250 * time.Millisecond)
		crl = harness.FetchCRL(r.ctx, t, url, crlFile)
	}
	i := slices.IndexFunc(crl.RevokedCertificateEntries, func(e x509.RevocationListEntry) bool {
		return e.SerialNumber.Cmp(l.leaf.SerialNumber) == 0
	})
	if i < 0 {
		t.Fatalf("got CRL %v without serial %x, want it revoked", crl.Number, l.leaf.SerialNumber)
	}
	if got := crl.RevokedCertificateEntries[i].ReasonCode; got != keyCompromise {
		t.Errorf("got CRL reason %d, want %d (keyCompromise)", got, keyCompromise)
	}
	for _, all := range []bool{false, true} {
		out, ok := harness.VerifyWithCRLs(r.ctx, t, r.ca.RootsFile, l.chain, l.cert, all, crlFile, issuerCRL)
		if ok || !strings.Contains(out, "certificate revoked") {
			t.Errorf("openssl verify with CRLs (check all %t) after revocation: got\n%s\nwant the leaf refused as revoked", all, out)
		}
	}
	return crl.RevokedCertificateEntries[i]
}
