package harness

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"net"
	"path/filepath"
	"testing"

	"github.com/quarry-ca/quarry/internal/testpki"
)

// writeServerCert makes a throw-away root and a server certificate for
// 127.0.0.1, ::1 and localhost signed by it, writes the certificate and key
// into dir, and returns their paths and the root as PEM.
func writeServerCert(t testing.TB, dir string) (certFile, keyFile string, rootPEM []byte) {
	t.Helper()
	root := testpki.NewCA(t, "harness TLS root")
	leafDER, leafKey := root.Issue(t, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "localhost"},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	keyDER, err := x509.MarshalPKCS8PrivateKey(leafKey)
	if err != nil {
		t.Fatalf("encoding key: %v", err)
	}
	certFile = filepath.Join(dir, "tls-cert.pem")
	keyFile = filepath.Join(dir, "tls-key.pem")
	writeFile(t, certFile, testpki.CertPEM(leafDER))
	writeFile(t, keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	return certFile, keyFile, testpki.CertPEM(root.Cert.Raw)
}
