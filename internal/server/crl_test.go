package server_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	xacme "golang.org/x/crypto/acme"

	"github.com/quarry-ca/quarry/internal/config"
)

// requireOpenSSL skips without openssl, except in CI where it must exist.
func requireOpenSSL(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("openssl not found and CI=true: %v", err)
		}
		t.Skip("openssl not installed; install it to run the CRL interoperability check")
	}
	return path
}

// issue gets a certificate for name through ACME and returns the chain.
func (e *env) issue(ctx context.Context, c *xacme.Client, name string) [][]byte {
	e.t.Helper()
	order, err := c.AuthorizeOrder(ctx, xacme.DomainIDs(name))
	if err != nil {
		e.t.Fatalf("new order: %v", err)
	}
	e.solve(ctx, c, order, "http-01")
	chain, _, err := c.CreateOrderCert(ctx, order.FinalizeURL, csrFor(e.t, ecKey(), name), true)
	if err != nil {
		e.t.Fatalf("finalize: %v", err)
	}
	return chain
}

// fetchCRL gets a CRL from Quarry's HTTP listener until it satisfies
// ready, and returns its DER.
func fetchCRL(t *testing.T, url string, ready func(*x509.RevocationList) bool) []byte {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		der, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			if ct := resp.Header.Get("Content-Type"); ct != "application/pkix-crl" {
				t.Errorf("GET %s: got Content-Type %q, want application/pkix-crl", url, ct)
			}
			crl, err := x509.ParseRevocationList(der)
			if err != nil {
				t.Fatalf("ParseRevocationList(%s): %v", url, err)
			}
			if ready(crl) {
				return der
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: got status %d and no CRL in the state wanted after 15s", url, resp.StatusCode)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func lists(serial string) func(*x509.RevocationList) bool {
	return func(crl *x509.RevocationList) bool {
		for _, en := range crl.RevokedCertificateEntries {
			if en.SerialNumber.Text(16) == serial {
				return true
			}
		}
		return false
	}
}

func anyCRL(*x509.RevocationList) bool { return true }

func writePEM(t *testing.T, path, typ string, ders ...[]byte) string {
	t.Helper()
	var out []byte
	for _, der := range ders {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})...)
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func runOpenSSL(t *testing.T, openssl string, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(openssl, args...).CombinedOutput()
	return string(out), err
}

func TestCRLRevokedLeafWithOpenSSL(t *testing.T) {
	openssl := requireOpenSSL(t)
	e := startEnv(t, func(c *config.Config) { c.CRL.AfterRevocationDelay = config.Duration(200 * time.Millisecond) })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := e.client()
	e.register(ctx, c)
	good := e.issue(ctx, c, "good.crl.quarry.test")
	bad := e.issue(ctx, c, "bad.crl.quarry.test")
	if err := c.RevokeCert(ctx, nil, bad[0], xacme.CRLReasonKeyCompromise); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	goodLeaf, badLeaf := e.verify(good, "good.crl.quarry.test"), e.verify(bad, "bad.crl.quarry.test")
	inter, err := x509.ParseCertificate(bad[1])
	if err != nil {
		t.Fatal(err)
	}
	badSerial := badLeaf.SerialNumber.Text(16)
	badCRL := fetchCRL(t, badLeaf.CRLDistributionPoints[0], lists(badSerial))
	goodCRL := fetchCRL(t, goodLeaf.CRLDistributionPoints[0], anyCRL)
	if goodLeaf.CRLDistributionPoints[0] == badLeaf.CRLDistributionPoints[0] {
		goodCRL = badCRL
	}
	if len(inter.CRLDistributionPoints) != 1 {
		t.Fatalf("intermediate: got CRL distribution points %v, want one", inter.CRLDistributionPoints)
	}
	rootCRL := fetchCRL(t, inter.CRLDistributionPoints[0], anyCRL)
	checkFetchedCRL(t, badCRL, inter, badSerial)

	dir := t.TempDir()
	interPEM := writePEM(t, filepath.Join(dir, "issuer.pem"), "CERTIFICATE", bad[1])
	chainPEM := writePEM(t, filepath.Join(dir, "chain.pem"), "CERTIFICATE", bad[1:]...)
	badPEM := writePEM(t, filepath.Join(dir, "bad.pem"), "CERTIFICATE", bad[0])
	goodPEM := writePEM(t, filepath.Join(dir, "good.pem"), "CERTIFICATE", good[0])
	badCRLPEM := writePEM(t, filepath.Join(dir, "bad-crl.pem"), "X509 CRL", badCRL)
	goodCRLPEM := writePEM(t, filepath.Join(dir, "good-crl.pem"), "X509 CRL", goodCRL)
	allCRLPEM := writePEM(t, filepath.Join(dir, "all-crl.pem"), "X509 CRL", goodCRL, rootCRL)
	rootCRLPEM := writePEM(t, filepath.Join(dir, "root-crl.pem"), "X509 CRL", rootCRL)
	roots := e.srv.RootsPath()

	tests := []struct {
		name   string
		args   []string
		wantOK bool
		want   string
	}{
		{"leaf CRL verifies against its issuer", []string{"crl", "-noout", "-verify", "-CAfile", interPEM, "-in", badCRLPEM}, true, "verify OK"},
		{"root CRL verifies against the roots", []string{"crl", "-noout", "-verify", "-CAfile", roots, "-in", rootCRLPEM}, true, "verify OK"},
		{"revoked leaf is refused", []string{"verify", "-crl_check", "-CRLfile", badCRLPEM, "-CAfile", roots, "-untrusted", chainPEM, badPEM}, false, "certificate revoked"},
		{"good leaf is accepted", []string{"verify", "-crl_check", "-CRLfile", goodCRLPEM, "-CAfile", roots, "-untrusted", chainPEM, goodPEM}, true, ": OK"},
		{"good leaf and intermediate are accepted", []string{"verify", "-crl_check_all", "-CRLfile", allCRLPEM, "-CAfile", roots, "-untrusted", chainPEM, goodPEM}, true, ": OK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runOpenSSL(t, openssl, tt.args...)
			if (err == nil) != tt.wantOK || !strings.Contains(out, tt.want) {
				t.Errorf("openssl %s: got %v:\n%s\nwant success %v and output with %q", strings.Join(tt.args, " "), err, out, tt.wantOK, tt.want)
			}
		})
	}
}

// checkFetchedCRL checks the fields of a leaf CRL served over HTTP.
func checkFetchedCRL(t *testing.T, der []byte, issuer *x509.Certificate, serial string) {
	t.Helper()
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatal(err)
	}
	if err := crl.CheckSignatureFrom(issuer); err != nil {
		t.Errorf("CRL signature: got %v, want valid from %s", err, issuer.Subject)
	}
	if crl.Issuer.String() != issuer.Subject.String() || string(crl.AuthorityKeyId) != string(issuer.SubjectKeyId) {
		t.Errorf("CRL issuer: got %s (AKI %x), want %s (%x)", crl.Issuer, crl.AuthorityKeyId, issuer.Subject, issuer.SubjectKeyId)
	}
	if crl.Number == nil || crl.Number.Sign() <= 0 {
		t.Errorf("CRL number: got %v, want positive", crl.Number)
	}
	if d := crl.NextUpdate.Sub(crl.ThisUpdate); d != 7*24*time.Hour {
		t.Errorf("nextUpdate - thisUpdate: got %v, want 168h", d)
	}
	if since := time.Since(crl.ThisUpdate); since < -time.Second || since > time.Minute {
		t.Errorf("thisUpdate: got %v, want about now", crl.ThisUpdate)
	}
	for _, en := range crl.RevokedCertificateEntries {
		if en.SerialNumber.Text(16) == serial && en.ReasonCode != int(xacme.CRLReasonKeyCompromise) {
			t.Errorf("entry %s: got reason %d, want keyCompromise (1)", serial, en.ReasonCode)
		}
	}
}
