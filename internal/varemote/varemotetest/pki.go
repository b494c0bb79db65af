// Package varemotetest makes the certificates that remote validation
// perspectives and their primary authenticate each other with, for tests:
// one CA, a server certificate for 127.0.0.1 and localhost, and client
// certificates; and it runs perspectives in-process. Production code must
// not import it.
package varemotetest

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"net"
	"path/filepath"
	"testing"

	"github.com/quarry-ca/quarry/internal/testpki"
)

// PKI holds the paths of PEM files under one directory.
type PKI struct {
	CA                    string // the CA certificate both sides trust
	ServerCert, ServerKey string // a perspective's certificate, for 127.0.0.1 and localhost
	ClientCert, ClientKey string // the primary's client certificate
	// OtherClientCert and OtherClientKey are a client certificate from a
	// CA the perspective does not trust.
	OtherClientCert, OtherClientKey string
}

// NewPKI writes a fresh PKI into a temporary directory of t.
func NewPKI(t testing.TB) PKI {
	t.Helper()
	dir := t.TempDir()
	p := PKI{
		CA:         filepath.Join(dir, "ca.pem"),
		ServerCert: filepath.Join(dir, "server.pem"), ServerKey: filepath.Join(dir, "server.key"),
		ClientCert: filepath.Join(dir, "client.pem"), ClientKey: filepath.Join(dir, "client.key"),
		OtherClientCert: filepath.Join(dir, "other.pem"), OtherClientKey: filepath.Join(dir, "other.key"),
	}
	ca := testpki.NewCA(t, "Test perspectives CA")
	testpki.WriteFile(t, p.CA, testpki.CertPEM(ca.Cert.Raw), 0o644)
	issue(t, ca, p.ServerCert, p.ServerKey, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "perspective"},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	issue(t, ca, p.ClientCert, p.ClientKey, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "primary"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	issue(t, testpki.NewCA(t, "Untrusted CA"), p.OtherClientCert, p.OtherClientKey, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "intruder"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	return p
}

// issue writes a certificate from tmpl and its key, SEC 1 encoded.
func issue(t testing.TB, ca *testpki.CA, certFile, keyFile string, tmpl *x509.Certificate) {
	t.Helper()
	der, key := ca.Issue(t, tmpl)
	testpki.WriteFile(t, certFile, testpki.CertPEM(der), 0o644)
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatalf("encoding key: %v", err)
	}
	testpki.WriteFile(t, keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
}
