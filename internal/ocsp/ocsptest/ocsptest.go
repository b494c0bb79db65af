// Package ocsptest holds what tests of the OCSP responder and of its HTTP
// handler share: a CA with OCSP on, a certificate table in memory, and
// requests. Production code must not import it.
package ocsptest

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"log/slog"
	"sync"
	"testing"
	"time"

	xocsp "golang.org/x/crypto/ocsp"

	"github.com/quarry-ca/quarry/internal/ca"
	"github.com/quarry-ca/quarry/internal/core"
)

// NewCA loads a fresh ECDSA-only hierarchy (quick to make) with OCSP on;
// delegated makes it sign responses with a delegated responder.
func NewCA(t testing.TB, delegated bool) *ca.CA {
	t.Helper()
	c, err := ca.Load(context.Background(), ca.Config{DataDir: t.TempDir(), KeyTypes: []string{ca.KeyECDSA}, CRLShards: 4,
		OCSP: ca.OCSPConfig{Enabled: true, Delegated: delegated}}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("loading CA: %v", err)
	}
	return c
}

// Store is a certificate table in memory; once SetErr is called with an
// error, every read fails with it.
type Store struct {
	mu    sync.Mutex
	certs map[string]*core.Certificate
	err   error
}

// NewStore is an empty table.
func NewStore() *Store { return &Store{certs: map[string]*core.Certificate{}} }

// GetCertificate returns a copy of the row, so a caller cannot change the
// table behind the test's back.
func (s *Store) GetCertificate(_ context.Context, serial string) (*core.Certificate, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	c, ok := s.certs[serial]
	if !ok {
		return nil, core.Errorf(core.ErrNotFound, "no certificate %s", serial)
	}
	cp := *c
	return &cp, nil
}

// Put stores c under its serial.
func (s *Store) Put(c *core.Certificate) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.certs[c.Serial] = c
}

// Revoke marks a stored certificate revoked.
func (s *Store) Revoke(serial string, reason int, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.certs[serial]
	c.Revoked, c.RevocationReason, c.RevokedAt = true, reason, at
}

// SetErr makes every later read fail with err (nil: succeed again).
func (s *Store) SetErr(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
}

// Issue has c sign a real leaf for ocsp.example.com, stores it in s as
// good, and returns it as issued and parsed.
func Issue(t testing.TB, c *ca.CA, s *Store) (*ca.Issued, *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generating key: %v", err)
	}
	iss, err := c.Issue(context.Background(), ca.IssueRequest{PublicKey: key.Public(), DNSNames: []string{"ocsp.example.com"}})
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	leaf, err := x509.ParseCertificate(iss.DER)
	if err != nil {
		t.Fatalf("parsing the issued certificate: %v", err)
	}
	s.Put(&core.Certificate{Serial: iss.Serial, IssuerID: iss.IssuerID, DER: iss.DER,
		NotBefore: iss.NotBefore, NotAfter: iss.NotAfter, Shard: iss.Shard})
	return iss, leaf
}

// Request is a DER OCSP request for leaf under issuer, its CertID hashed
// with h.
func Request(t testing.TB, leaf, issuer *x509.Certificate, h crypto.Hash) []byte {
	t.Helper()
	der, err := xocsp.CreateRequest(leaf, issuer, &xocsp.RequestOptions{Hash: h})
	if err != nil {
		t.Fatalf("CreateRequest: %v", err)
	}
	return der
}
