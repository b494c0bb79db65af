// Package testpki makes throw-away certificate authorities and the
// certificates they issue, for tests: the TLS listeners of test servers,
// client certificates for mutual TLS. Keys are ECDSA P-256, quick to make.
//
// It imports only the standard library; no production code may import it.
package testpki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"testing"
	"time"
)

// before and after bound test certificates' validity around now: an
// hour back, so that a clock a little behind still accepts them.
const before, after = time.Hour, 24 * time.Hour

// CA is a self-signed root and its key.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
}

// NewCA makes a root named name, valid from an hour ago for a day.
func NewCA(t testing.TB, name string) *CA {
	t.Helper()
	key := NewKey(t)
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: Serial(t), Subject: pkix.Name{CommonName: name},
		NotBefore: now.Add(-before), NotAfter: now.Add(after),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatalf("creating CA %q: %v", name, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parsing CA %q: %v", name, err)
	}
	return &CA{Cert: cert, Key: key}
}

// Issue signs tmpl for a fresh key, filling in the serial number, the
// validity and the digital-signature key usage, and returns the
// certificate's DER and its key.
func (ca *CA) Issue(t testing.TB, tmpl *x509.Certificate) ([]byte, *ecdsa.PrivateKey) {
	t.Helper()
	key := NewKey(t)
	now := time.Now()
	tmpl.SerialNumber = Serial(t)
	tmpl.NotBefore, tmpl.NotAfter = now.Add(-before), now.Add(after)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		t.Fatalf("issuing %q: %v", tmpl.Subject.CommonName, err)
	}
	return der, key
}

// NewKey makes an ECDSA P-256 key.
func NewKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generating key: %v", err)
	}
	return k
}

// Serial is a random 127-bit serial number.
func Serial(t testing.TB) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		t.Fatalf("generating serial: %v", err)
	}
	return n
}

// CertPEM is der as a PEM CERTIFICATE block.
func CertPEM(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// WriteFile writes b to path, failing the test on error.
func WriteFile(t testing.TB, path string, b []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, b, mode); err != nil {
		t.Fatalf("writing %s: %v", path, err)
	}
}
