package client

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
)

// testChain issues a leaf under a fresh self-signed root and returns the
// leaf's DER and the PEM chain (leaf, root).
func testChain(t *testing.T) (leafDER []byte, chainPEM []byte) {
	t.Helper()
	caKey, leafKey := newKey(t), newKey(t)
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "Test Root"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ = x509.ParseCertificate(caDER)
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		DNSNames:     []string{"leaf.example"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(time.Hour),
	}
	leafDER, err = x509.CreateCertificate(rand.Reader, leaf, ca, leafKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, der := range [][]byte{leafDER, caDER} {
		chainPEM = append(chainPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	return leafDER, chainPEM
}

func testChainPEM(t *testing.T) []byte {
	_, p := testChain(t)
	return p
}

func TestFetchCertificateChains(t *testing.T) {
	f := newFakeACME(t)
	_, chainPEM := testChain(t)
	serve := func(links ...string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			readJWS(t, r)
			for _, l := range links {
				w.Header().Add("Link", l)
			}
			w.Header().Set("Content-Type", contentPEMSet)
			w.Write(chainPEM)
		}
	}
	f.handle("POST /cert/1", serve(
		`</dir>;rel="index"`,
		`</cert/1/alt/1>;rel="alternate"`,
		`</cert/1/alt/2>;rel="alternate"`,
		`</cert/1>;rel="alternate"`, // a link back to itself is not fetched again
	))
	f.handle("POST /cert/1/alt/1", serve(`</cert/1>;rel="alternate"`))
	f.handle("POST /cert/1/alt/2", serve())
	c := f.client(nil)

	certs, err := c.FetchCertificateChains(context.Background(), f.url("/cert/1"))
	if err != nil {
		t.Fatalf("FetchCertificateChains: %v", err)
	}
	var got []string
	for _, cert := range certs {
		got = append(got, strings.TrimPrefix(cert.URL, f.srv.URL))
		if len(cert.Chain) != 2 || cert.Chain[0].DNSNames[0] != "leaf.example" {
			t.Errorf("chain at %s: got %d certificates, want leaf then root", cert.URL, len(cert.Chain))
		}
	}
	want := []string{"/cert/1", "/cert/1/alt/1", "/cert/1/alt/2"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("chains fetched: got %v, want %v", got, want)
	}
	if len(certs[0].Alternates) != 3 {
		t.Errorf("alternates of the default chain: got %v, want 3", certs[0].Alternates)
	}
}

func TestParseChain(t *testing.T) {
	_, chainPEM := testChain(t)
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte{1}})
	junk := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("not DER")})
	tests := []struct {
		name    string
		data    []byte
		wantLen int
		wantErr bool
	}{
		{name: "leaf and root", data: chainPEM, wantLen: 2},
		{name: "empty", data: nil, wantErr: true},
		{name: "not PEM", data: []byte("hello"), wantErr: true},
		{name: "a key in the chain", data: append(append([]byte{}, chainPEM...), keyPEM...), wantErr: true},
		{name: "bad DER", data: junk, wantErr: true},
		{name: "too long", data: []byte(strings.Repeat(string(chainPEM), maxChain)), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chain, err := parseChain(tt.data)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("parseChain error: got %v, want error %v", err, tt.wantErr)
			}
			if len(chain) != tt.wantLen {
				t.Errorf("chain length: got %d, want %d", len(chain), tt.wantLen)
			}
		})
	}
}

func TestRevoke(t *testing.T) {
	leafDER, _ := testChain(t)
	certKey := newKey(t)
	tests := []struct {
		name       string
		key        *ecdsa.PrivateKey
		reason     int
		wantKID    bool
		wantReason *int
	}{
		{name: "by account key, unspecified", key: nil, reason: 0, wantKID: true},
		{name: "by certificate key, keyCompromise", key: certKey, reason: 1, wantKID: false, wantReason: new(1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeACME(t)
			var got jwsRequest
			f.handle("POST /revoke", func(w http.ResponseWriter, r *http.Request) {
				got = readJWS(t, r)
			})
			c := f.client(nil)
			var err error
			if tt.key == nil {
				err = c.Revoke(context.Background(), leafDER, nil, tt.reason)
			} else {
				err = c.Revoke(context.Background(), leafDER, tt.key, tt.reason)
			}
			if err != nil {
				t.Fatalf("Revoke: %v", err)
			}
			if gotKID := got.KID != ""; gotKID != tt.wantKID || (got.JWK == nil) != tt.wantKID {
				t.Errorf("signed with kid %q jwk %s; want kid: %v", got.KID, got.JWK, tt.wantKID)
			}
			var req acme.RevocationRequest
			if err := json.Unmarshal(got.Payload, &req); err != nil {
				t.Fatal(err)
			}
			if req.Certificate != base64.RawURLEncoding.EncodeToString(leafDER) {
				t.Errorf("certificate: got %q, want the leaf's base64url DER", req.Certificate)
			}
			if (req.Reason == nil) != (tt.wantReason == nil) || (req.Reason != nil && *req.Reason != *tt.wantReason) {
				t.Errorf("reason: got %v, want %v", req.Reason, tt.wantReason)
			}
		})
	}
}
