package harness

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"slices"
	"strings"
	"testing"
)

// VerifyChain runs `openssl verify` on the first certificate in certFile,
// with the CA's roots as the only trust anchors and chainFile as the
// untrusted intermediates, for TLS server use.
func VerifyChain(ctx context.Context, t testing.TB, rootsFile, chainFile, certFile string) {
	t.Helper()
	out := MustRun(ctx, t, nil, "openssl", "verify", "-purpose", "sslserver",
		"-CAfile", rootsFile, "-untrusted", chainFile, certFile)
	if !strings.Contains(out, ": OK") {
		t.Fatalf("openssl verify %s: got %q, want \": OK\"", certFile, out)
	}
}

// ReadCerts parses every certificate in a PEM file, in order.
func ReadCerts(t testing.TB, path string) []*x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatalf("parsing a certificate in %s: %v", path, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		t.Fatalf("got no certificate in %s, want at least one", path)
	}
	return certs
}

// CheckNames fails the test unless cert's DNS names are exactly want, in
// any order.
func CheckNames(t testing.TB, cert *x509.Certificate, want ...string) {
	t.Helper()
	got := slices.Sorted(slices.Values(cert.DNSNames))
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("got DNS names %q in certificate %x, want %q", got, cert.SerialNumber, want)
	}
}
