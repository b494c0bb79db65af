package loadgen

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/quarry-ca/quarry/acme"
)

// newKey makes a certificate key; keys always come from crypto/rand.
func newKey(t KeyType) (crypto.Signer, error) {
	var (
		k   crypto.Signer
		err error
	)
	switch t {
	case KeyRSA:
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		return nil, fmt.Errorf("generating %s key: %w", t, err)
	}
	return k, nil
}

// csrFor returns a DER CSR for names signed by key.
func csrFor(key crypto.Signer, ids []acme.Identifier) ([]byte, error) {
	tmpl := &x509.CertificateRequest{}
	for _, id := range ids {
		tmpl.DNSNames = append(tmpl.DNSNames, id.Value)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		return nil, fmt.Errorf("creating CSR: %w", err)
	}
	return der, nil
}

// randomNames returns 1..maxNames identifiers <16 hex>.<base>, unique with
// overwhelming probability so no flow reuses another's authorizations.
func randomNames(rnd io.Reader, maxNames int, base string) ([]acme.Identifier, error) {
	var b [9]byte
	if _, err := io.ReadFull(rnd, b[:1]); err != nil {
		return nil, fmt.Errorf("reading randomness: %w", err)
	}
	n := 1 + int(b[0])%maxNames
	ids := make([]acme.Identifier, 0, n)
	for range n {
		if _, err := io.ReadFull(rnd, b[1:]); err != nil {
			return nil, fmt.Errorf("reading randomness: %w", err)
		}
		ids = append(ids, acme.Identifier{Type: acme.IdentifierDNS, Value: hex.EncodeToString(b[1:]) + "." + base})
	}
	return ids, nil
}
