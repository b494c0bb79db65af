package policy

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"net"
	"net/url"
	"os"
	"testing"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

func mustECKey(t testing.TB, c elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatalf("generating key: %v", err)
	}
	return k
}

// csrDER signs tmpl with key and returns the DER request.
func csrDER(t testing.TB, key crypto.Signer, tmpl *x509.CertificateRequest) []byte {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		t.Fatalf("creating CSR: %v", err)
	}
	return der
}

func mustParseCSR(t testing.TB, der []byte) *x509.CertificateRequest {
	t.Helper()
	csr, err := ParseCSR(der)
	if err != nil {
		t.Fatalf("ParseCSR: %v", err)
	}
	return csr
}

func extension(t testing.TB, oid asn1.ObjectIdentifier, value any) pkix.Extension {
	t.Helper()
	der, err := asn1.Marshal(value)
	if err != nil {
		t.Fatalf("marshalling extension: %v", err)
	}
	return pkix.Extension{Id: oid, Value: der}
}

func TestParseCSR(t *testing.T) {
	key := mustECKey(t, elliptic.P256())
	good := csrDER(t, key, &x509.CertificateRequest{DNSNames: []string{"quarry.com"}})
	badSig := append([]byte(nil), good...)
	badSig[len(badSig)-3] ^= 0xff
	badBody := append([]byte(nil), good...)
	badBody[len(badBody)/3] ^= 0x01
	sha1CSR, err := os.ReadFile("testdata/openssl-sha1.csr.der")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		der    []byte
		want   core.Kind
		detail string
	}{
		{name: "valid", der: good},
		{name: "empty", der: nil, want: core.ErrBadCSR, detail: "parsed"},
		{name: "garbage", der: []byte("not a CSR at all"), want: core.ErrBadCSR, detail: "parsed"},
		{name: "truncated", der: good[:len(good)-10], want: core.ErrBadCSR, detail: "parsed"},
		{name: "trailing data", der: append(append([]byte(nil), good...), 0), want: core.ErrBadCSR, detail: "parsed"},
		{name: "signature altered", der: badSig, want: core.ErrBadCSR},
		{name: "body altered", der: badBody, want: core.ErrBadCSR},
		{name: "SHA-1 signature from openssl", der: sha1CSR, want: core.ErrBadCSR, detail: "SHA1-RSA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCSR(tt.der)
			checkKind(t, err, tt.want, tt.detail)
		})
	}
}

func TestCheckCSR(t *testing.T) {
	p := mustNew(t, Config{AllowIP: true})
	key := mustECKey(t, elliptic.P256())
	accountKey := mustECKey(t, elliptic.P256())
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	order := dns("quarry.com", "www.quarry.com")
	oidBC := asn1.ObjectIdentifier{2, 5, 29, 19}
	type bc struct {
		IsCA bool `asn1:"optional"`
	}
	mustStaple := extension(t, asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 24}, []int{5})
	const bad = core.ErrBadCSR
	tests := []struct {
		name    string
		signer  crypto.Signer // default key
		tmpl    x509.CertificateRequest
		ids     []acme.Identifier // default order
		account crypto.PublicKey  // default accountKey
		want    core.Kind
		detail  string
	}{
		{name: "SANs equal the order", tmpl: x509.CertificateRequest{DNSNames: []string{"www.quarry.com", "quarry.com"}}},
		{name: "CN among the SANs", tmpl: x509.CertificateRequest{Subject: pkix.Name{CommonName: "quarry.com"}, DNSNames: []string{"quarry.com", "www.quarry.com"}}},
		{name: "CN supplies one name", tmpl: x509.CertificateRequest{Subject: pkix.Name{CommonName: "www.quarry.com"}, DNSNames: []string{"quarry.com"}}},
		{name: "CN only", ids: dns("quarry.com"), tmpl: x509.CertificateRequest{Subject: pkix.Name{CommonName: "quarry.com"}}},
		{name: "upper-case SAN and CN", tmpl: x509.CertificateRequest{Subject: pkix.Name{CommonName: "QUARRY.com"}, DNSNames: []string{"Quarry.com", "WWW.quarry.com"}}},
		{name: "repeated SAN", tmpl: x509.CertificateRequest{DNSNames: []string{"quarry.com", "www.quarry.com", "quarry.com"}}},
		{name: "RSA key", signer: rsaKey, tmpl: x509.CertificateRequest{DNSNames: []string{"quarry.com", "www.quarry.com"}}},
		{name: "wildcard", ids: dns("*.quarry.com", "quarry.com"), tmpl: x509.CertificateRequest{DNSNames: []string{"*.quarry.com", "quarry.com"}}},
		{name: "IP addresses", ids: ips("8.8.8.8", "2001:4860:4860::8888"), tmpl: x509.CertificateRequest{IPAddresses: []net.IP{net.ParseIP("8.8.8.8"), net.ParseIP("2001:4860:4860::8888")}}},
		{name: "IP CN", ids: ips("8.8.8.8"), tmpl: x509.CertificateRequest{Subject: pkix.Name{CommonName: "8.8.8.8"}, IPAddresses: []net.IP{net.ParseIP("8.8.8.8").To4()}}},
		{name: "DNS and IP", ids: append(dns("quarry.com"), ips("8.8.8.8")...), tmpl: x509.CertificateRequest{DNSNames: []string{"quarry.com"}, IPAddresses: []net.IP{net.ParseIP("8.8.8.8")}}},
		{name: "no account key to compare", account: nil, tmpl: x509.CertificateRequest{DNSNames: []string{"quarry.com", "www.quarry.com"}}},

		{name: "missing name", tmpl: x509.CertificateRequest{DNSNames: []string{"quarry.com"}}, want: bad, detail: "missing from the CSR: www.quarry.com"},
		{name: "extra name", tmpl: x509.CertificateRequest{DNSNames: []string{"quarry.com", "www.quarry.com", "evil.com"}}, want: bad, detail: "not in the order: evil.com"},
		{name: "missing and extra", tmpl: x509.CertificateRequest{DNSNames: []string{"quarry.com", "evil.com"}}, want: bad, detail: "missing from the CSR: www.quarry.com; not in the order: evil.com"},
		{name: "CN not in the order", tmpl: x509.CertificateRequest{Subject: pkix.Name{CommonName: "evil.com"}, DNSNames: []string{"quarry.com", "www.quarry.com"}}, want: bad, detail: "common name"},
		{name: "no names", tmpl: x509.CertificateRequest{Subject: pkix.Name{Organization: []string{"Quarry"}}}, want: bad, detail: "no names"},
		{name: "wildcard order, plain CSR", ids: dns("*.quarry.com"), tmpl: x509.CertificateRequest{DNSNames: []string{"www.quarry.com"}}, want: bad, detail: "*.quarry.com"},
		{name: "IP order, DNS CSR", ids: ips("8.8.8.8"), tmpl: x509.CertificateRequest{DNSNames: []string{"8.8.8.8"}}, want: bad, detail: "missing"},
		{name: "email SAN", tmpl: x509.CertificateRequest{DNSNames: []string{"quarry.com", "www.quarry.com"}, EmailAddresses: []string{"a@quarry.com"}}, want: bad, detail: "email"},
		{name: "URI SAN", tmpl: x509.CertificateRequest{DNSNames: []string{"quarry.com", "www.quarry.com"}, URIs: []*url.URL{{Scheme: "https", Host: "quarry.com"}}}, want: bad, detail: "URI"},

		{name: "basicConstraints CA:false", tmpl: x509.CertificateRequest{DNSNames: []string{"quarry.com", "www.quarry.com"}, ExtraExtensions: []pkix.Extension{extension(t, oidBC, bc{})}}},
		{name: "basicConstraints CA:true", tmpl: x509.CertificateRequest{DNSNames: []string{"quarry.com", "www.quarry.com"}, ExtraExtensions: []pkix.Extension{extension(t, oidBC, bc{IsCA: true})}}, want: bad, detail: "CA certificate"},
		{name: "basicConstraints malformed", tmpl: x509.CertificateRequest{DNSNames: []string{"quarry.com", "www.quarry.com"}, ExtraExtensions: []pkix.Extension{{Id: oidBC, Value: []byte{0x30, 0x03, 0x01}}}}, want: bad, detail: "malformed"},
		{name: "keyUsage and extKeyUsage", tmpl: x509.CertificateRequest{DNSNames: []string{"quarry.com", "www.quarry.com"}, ExtraExtensions: []pkix.Extension{
			{Id: asn1.ObjectIdentifier{2, 5, 29, 15}, Value: []byte{0x03, 0x02, 0x05, 0xa0}},
			extension(t, asn1.ObjectIdentifier{2, 5, 29, 37}, []asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 1}}),
		}}},
		{name: "must-staple", tmpl: x509.CertificateRequest{DNSNames: []string{"quarry.com", "www.quarry.com"}, ExtraExtensions: []pkix.Extension{mustStaple}}, want: bad, detail: "Must-Staple"},
		{name: "unknown extension", tmpl: x509.CertificateRequest{DNSNames: []string{"quarry.com", "www.quarry.com"}, ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 2, 3, 4}, Value: []byte{0x05, 0x00}}}}, want: bad, detail: "1.2.3.4"},

		{name: "weak RSA key", signer: rsa1024, tmpl: x509.CertificateRequest{DNSNames: []string{"quarry.com", "www.quarry.com"}}, want: core.ErrBadPublicKey, detail: "CSR's public key: RSA keys must be"},
		{name: "Ed25519 key", signer: edKey, tmpl: x509.CertificateRequest{DNSNames: []string{"quarry.com", "www.quarry.com"}}, want: core.ErrBadPublicKey, detail: "Ed25519"},
		{name: "P-521 key", signer: mustECKey(t, elliptic.P521()), tmpl: x509.CertificateRequest{DNSNames: []string{"quarry.com", "www.quarry.com"}}, want: core.ErrBadPublicKey, detail: "P-521"},
		{name: "account key reused", account: &key.PublicKey, tmpl: x509.CertificateRequest{DNSNames: []string{"quarry.com", "www.quarry.com"}}, want: bad, detail: "certificate public key must be different than account key"},
		{name: "RSA account key reused", signer: rsaKey, account: &rsaKey.PublicKey, tmpl: x509.CertificateRequest{DNSNames: []string{"quarry.com", "www.quarry.com"}}, want: bad, detail: "different than account key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			signer, ids, account := tt.signer, tt.ids, tt.account
			if signer == nil {
				signer = key
			}
			if ids == nil {
				ids = order
			}
			if account == nil && tt.name != "no account key to compare" {
				account = &accountKey.PublicKey
			}
			csr := mustParseCSR(t, csrDER(t, signer, &tt.tmpl))
			checkKind(t, p.CheckCSR(csr, ids, account), tt.want, tt.detail)
		})
	}
}

func TestCheckCSRNil(t *testing.T) {
	p := mustNew(t, Config{})
	checkKind(t, p.CheckCSR(nil, dns("quarry.com"), nil), core.ErrBadCSR, "no CSR")
}

func TestCheckCSRDuplicateExtension(t *testing.T) {
	// Go's encoder writes what it is given; the duplicate must still be
	// refused if the parser lets it through.
	p := mustNew(t, Config{})
	ext := pkix.Extension{Id: asn1.ObjectIdentifier{2, 5, 29, 15}, Value: []byte{0x03, 0x02, 0x05, 0xa0}}
	csr := &x509.CertificateRequest{DNSNames: []string{"quarry.com"}, Extensions: []pkix.Extension{ext, ext}}
	checkKind(t, p.CheckCSR(csr, dns("quarry.com"), nil), core.ErrBadCSR, "more than once")
}

// TestCheckCSROpenSSL runs requests made by openssl, as shell-script
// clients make them (testdata/openssl-*.csr.der).
func TestCheckCSROpenSSL(t *testing.T) {
	p := mustNew(t, Config{})
	tests := []struct {
		file   string
		ids    []acme.Identifier
		want   core.Kind
		detail string
	}{
		{file: "openssl-san.csr.der", ids: dns("quarry-test.com", "www.quarry-test.com")},
		{file: "openssl-ku.csr.der", ids: dns("quarry-test.com")},
		{file: "openssl-ca.csr.der", ids: dns("quarry-test.com"), want: core.ErrBadCSR, detail: "CA certificate"},
		{file: "openssl-muststaple.csr.der", ids: dns("quarry-test.com"), want: core.ErrBadCSR, detail: "Must-Staple"},
		{file: "openssl-san.csr.der", ids: dns("quarry-test.com"), want: core.ErrBadCSR, detail: "not in the order: www.quarry-test.com"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			der, err := os.ReadFile("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			csr := mustParseCSR(t, der)
			checkKind(t, p.CheckCSR(csr, tt.ids, nil), tt.want, tt.detail)
		})
	}
}
