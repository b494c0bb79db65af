package harness

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// OCSPAnswer is what `openssl ocsp` said about one certificate.
type OCSPAnswer struct {
	Status   string // good, revoked or unknown; empty if openssl printed none
	Reason   string // the revocation reason as openssl names it, e.g. keyCompromise
	Verified bool   // "Response verify OK": the signature chains to the roots
	Output   string // everything openssl printed, for failure messages
}

// QueryOCSP asks the responder at url about certFile with `openssl ocsp`,
// trusting only rootsFile and naming issuerFile (one certificate, the
// leaf's issuer) as a relying party would. The DER response is written to
// respFile so a test can look at who signed it.
func QueryOCSP(ctx context.Context, t testing.TB, rootsFile, issuerFile, certFile, url, respFile string) OCSPAnswer {
	t.Helper()
	mustLoopbackURL(t, url)
	out := MustRun(ctx, t, nil, "openssl", "ocsp",
		"-issuer", issuerFile, "-cert", certFile, "-url", url,
		"-CAfile", rootsFile, "-respout", respFile)
	return parseOCSPOutput(out, certFile)
}

// parseOCSPOutput reads openssl's report on certFile: a line
// "<certFile>: <status>", and for a revoked certificate an indented
// "Reason: <reason>" line among those that follow it.
func parseOCSPOutput(out, certFile string) OCSPAnswer {
	a := OCSPAnswer{Output: out}
	inCert := false
	for _, line := range strings.Split(out, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "Response verify OK":
			a.Verified = true
		case strings.HasPrefix(line, certFile+": "):
			a.Status = strings.TrimPrefix(line, certFile+": ")
			inCert = true
		case inCert && strings.HasPrefix(line, "\t") && strings.HasPrefix(trimmed, "Reason: "):
			a.Reason = strings.TrimPrefix(trimmed, "Reason: ")
		case !strings.HasPrefix(line, "\t"):
			inCert = false
		}
	}
	return a
}

// FetchCRL downloads the CRL at url over plain HTTP, checks that it
// parses, and writes it as PEM to path for `openssl verify -CRLfile`.
func FetchCRL(ctx context.Context, t testing.TB, url, path string) *x509.RevocationList {
	t.Helper()
	mustLoopbackURL(t, url)
	der, err := httpGet(ctx, url)
	if err != nil {
		t.Fatalf("fetching the CRL: %v", err)
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatalf("parsing the CRL from %s: %v", url, err)
	}
	writeFile(t, path, pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der}))
	return crl
}

// VerifyWithCRLs runs `openssl verify` on certFile with the CA's roots and
// chainFile as untrusted intermediates, checking the leaf against the CRL
// in crlFiles (-crl_check) or, with all, every certificate below the root
// against the CRLs in crlFiles (-crl_check_all). It returns openssl's
// output and whether it accepted the leaf.
func VerifyWithCRLs(ctx context.Context, t testing.TB, rootsFile, chainFile, certFile string, all bool, crlFiles ...string) (string, bool) {
	t.Helper()
	argv := []string{"openssl", "verify", "-crl_check"}
	if all {
		argv[2] = "-crl_check_all"
	}
	argv = append(argv, "-CAfile", rootsFile, "-untrusted", chainFile)
	for _, f := range crlFiles {
		argv = append(argv, "-CRLfile", f)
	}
	out, err := Run(ctx, t, nil, append(argv, certFile)...)
	return out, err == nil && strings.Contains(out, certFile+": OK")
}

// httpGet fetches url over plain HTTP and wants 200.
func httpGet(ctx context.Context, url string) ([]byte, error) {
	return get(ctx, &http.Client{Timeout: 5 * time.Second}, url)
}

// mustLoopbackURL refuses a URL taken from a certificate unless it points
// at a loopback IP address: the suites contact nothing else.
func mustLoopbackURL(t testing.TB, raw string) {
	t.Helper()
	if err := checkLoopbackURL(raw); err != nil {
		t.Fatal(err)
	}
}

func checkLoopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("parsing %q: %w", raw, err)
	}
	if ip := net.ParseIP(u.Hostname()); u.Scheme != "http" || ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("got URL %q, want plain HTTP to a loopback address", raw)
	}
	return nil
}

// WriteFirstCert writes the first certificate of the PEM file from to the
// file to, for tools such as `openssl ocsp -issuer` that want exactly one.
func WriteFirstCert(t testing.TB, from, to string) *x509.Certificate {
	t.Helper()
	c := ReadCerts(t, from)[0]
	writeFile(t, to, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
	return c
}
