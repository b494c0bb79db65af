package ca

import (
	"crypto"
	"crypto/elliptic"
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// requireOpenSSL skips without openssl, except in CI where it must exist.
func requireOpenSSL(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("openssl not found and CI=true: %v", err)
		}
		t.Skip("openssl not installed; install it to run the interoperability check")
	}
	return path
}

func TestOpenSSLVerifiesChains(t *testing.T) {
	openssl := requireOpenSSL(t)
	c := shared(t)
	dir := t.TempDir()
	rootE1, _ := c.IssuerCertificate(idRootECDSA)
	rootR1, _ := c.IssuerCertificate(idRootRSA)
	tests := []struct {
		name   string
		key    crypto.Signer
		chain  int               // index into Chains
		trust  *x509.Certificate // nil = roots.pem
		wantOK bool
	}{
		{"ECDSA leaf, default chain", ecKey(t, elliptic.P256()), 0, nil, true},
		{"ECDSA leaf, alternate chain", ecKey(t, elliptic.P256()), 1, nil, true},
		{"RSA leaf", rsaKey(t, 2048), 0, nil, true},
		{"ECDSA leaf, default chain, RSA root only", ecKey(t, elliptic.P256()), 0, rootR1, false},
		{"ECDSA leaf, alternate chain, RSA root only", ecKey(t, elliptic.P256()), 1, rootR1, true},
		{"ECDSA leaf, alternate chain, ECDSA root only", ecKey(t, elliptic.P256()), 1, rootE1, false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iss, leaf := mustIssue(t, c, IssueRequest{PublicKey: tt.key.Public(), DNSNames: []string{"example.com"}})
			sub := filepath.Join(dir, string(rune('a'+i)))
			if err := os.Mkdir(sub, 0o700); err != nil {
				t.Fatal(err)
			}
			leafPath := writePEM(t, filepath.Join(sub, "leaf.pem"), leaf)
			untrusted := writePEM(t, filepath.Join(sub, "chain.pem"), c.Chains(iss.IssuerID)[tt.chain]...)
			caFile := c.RootsPEMPath()
			if tt.trust != nil {
				caFile = writePEM(t, filepath.Join(sub, "trust.pem"), tt.trust)
			}
			out, err := exec.Command(openssl, "verify", "-purpose", "sslserver", "-x509_strict",
				"-CAfile", caFile, "-untrusted", untrusted, leafPath).CombinedOutput()
			gotOK := err == nil && strings.Contains(string(out), leafPath+": OK")
			if gotOK != tt.wantOK {
				t.Errorf("openssl verify: got ok=%v (%v) output %q, want ok=%v", gotOK, err, out, tt.wantOK)
			}
		})
	}
}

func writePEM(t *testing.T, path string, certs ...*x509.Certificate) string {
	t.Helper()
	var data []byte
	for _, c := range certs {
		data = append(data, certPEM(c)...)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
