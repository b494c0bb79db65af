package policy

import (
	"crypto/elliptic"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// FuzzCSR feeds arbitrary bytes through ParseCSR and CheckCSR: neither may
// panic, and every refusal must be classified.
func FuzzCSR(f *testing.F) {
	key := mustECKey(f, elliptic.P256())
	f.Add(csrDER(f, key, &x509.CertificateRequest{DNSNames: []string{"quarry.com", "www.quarry.com"}}))
	files, _ := filepath.Glob("testdata/*.csr.der")
	for _, name := range files {
		der, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(der)
	}
	f.Add([]byte{})
	f.Add([]byte{0x30, 0x82, 0xff, 0xff})
	p := mustNew(f, Config{AllowIP: true})
	ids := append(dns("quarry.com", "www.quarry.com", "quarry-test.com"), ips("8.8.8.8")...)
	account := &mustECKey(f, elliptic.P256()).PublicKey
	f.Fuzz(func(t *testing.T, der []byte) {
		csr, err := ParseCSR(der)
		if err != nil {
			if !errors.Is(err, core.ErrBadCSR) {
				t.Fatalf("ParseCSR: got %v, want a badCSR error", err)
			}
			return
		}
		err = p.CheckCSR(csr, ids, account)
		if err != nil && !errors.Is(err, core.ErrBadCSR) && !errors.Is(err, core.ErrBadPublicKey) {
			t.Fatalf("CheckCSR: got %v, want nil, badCSR or badPublicKey", err)
		}
	})
}

// FuzzCheckIdentifiers checks identifier parsing never panics, always
// classifies its refusals, and that the public rules are never looser than
// the private ones.
func FuzzCheckIdentifiers(f *testing.F) {
	for _, s := range []string{"quarry.com", "*.quarry.co.uk", "xn--bcher-kva.de", "xn--mgbh0fb.1a.com",
		"QUARRY.com", "a..b", "*.*.x", "192.0.2.1", "::ffff:1.2.3.4", "fe80::1%eth0", "localhost", "\xff\xfe"} {
		f.Add("dns", s)
		f.Add("ip", s)
	}
	public := mustNew(f, Config{AllowIP: true, BlockedNames: []string{"blocked.com"}})
	private := mustNew(f, Config{Mode: ModePrivate, AllowIP: true, BlockedNames: []string{"blocked.com"}})
	f.Fuzz(func(t *testing.T, typ, value string) {
		ids := []acme.Identifier{{Type: acme.IdentifierType(typ), Value: value}}
		pubErr := public.CheckIdentifiers(ids)
		privErr := private.CheckIdentifiers(ids)
		for _, err := range []error{pubErr, privErr} {
			var ce *core.Error
			if err != nil && !errors.As(err, &ce) {
				t.Fatalf("got unclassified error %T %v", err, err)
			}
		}
		if pubErr == nil && privErr != nil {
			t.Fatalf("%q: public mode accepts but private refuses: %v", value, privErr)
		}
		if privErr == nil && typ == "dns" && value != strings.ToLower(value) {
			t.Fatalf("%q: accepted a name that is not lower case", value)
		}
	})
}
