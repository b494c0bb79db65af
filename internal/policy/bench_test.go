package policy

import (
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"testing"
)

func BenchmarkCheckIdentifiers(b *testing.B) {
	p := mustNew(b, Config{BlockedNames: []string{"blocked.com", "secret.quarry.net"}})
	names := make([]string, 100)
	for i := range names {
		switch i % 4 {
		case 0:
			names[i] = fmt.Sprintf("host%d.quarry.com", i)
		case 1:
			names[i] = fmt.Sprintf("*.svc%d.quarry.co.uk", i)
		case 2:
			names[i] = fmt.Sprintf("xn--bcher-kva.n%d.quarry.de", i)
		default:
			names[i] = fmt.Sprintf("a-%d.b.c.quarry.org", i)
		}
	}
	ids := dns(names...)
	if err := p.CheckIdentifiers(ids); err != nil {
		b.Fatalf("got %v, want the benchmark names accepted", err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = p.CheckIdentifiers(ids)
	}
}

func BenchmarkCheckKey(b *testing.B) {
	p := mustNew(b, Config{})
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	if err := p.CheckKey(&key.PublicKey); err != nil {
		b.Fatalf("got %v, want the key accepted", err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = p.CheckKey(&key.PublicKey)
	}
}

// BenchmarkCheckCSR is finalize's CSR check: names against the order, the
// key, and the extensions asked for.
func BenchmarkCheckCSR(b *testing.B) {
	p := mustNew(b, Config{})
	key := mustECKey(b, elliptic.P256())
	account := mustECKey(b, elliptic.P256())
	der := csrDER(b, key, &x509.CertificateRequest{DNSNames: []string{"quarry.com", "www.quarry.com"}})
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		b.Fatal(err)
	}
	ids := dns("quarry.com", "www.quarry.com")
	if err := p.CheckCSR(csr, ids, account.Public()); err != nil {
		b.Fatalf("got %v, want the CSR accepted", err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = p.CheckCSR(csr, ids, account.Public())
	}
}
