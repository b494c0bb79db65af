package crl_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/ca"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/storage/sqlite"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// An ECDSA-only hierarchy is quick to make; one serves every test.
var (
	caOnce sync.Once
	caDir  string
	theCA  *ca.CA
	caErr  error
)

// testShards keeps the shard count small so tests can look at every shard.
const testShards = 4

func testCA(t testing.TB) *ca.CA {
	t.Helper()
	caOnce.Do(func() {
		caDir, caErr = mkdirTemp()
		if caErr == nil {
			theCA, caErr = ca.Load(context.Background(), ca.Config{DataDir: caDir, KeyTypes: []string{ca.KeyECDSA}, CRLShards: testShards}, discard())
		}
	})
	if caErr != nil {
		t.Fatalf("loading CA: %v", caErr)
	}
	return theCA
}

// env is a real store and CA with an account and order to hang
// certificates on.
type env struct {
	store *sqlite.Store
	ca    *ca.CA
	acct  *core.Account
	n     int
}

func newEnv(t testing.TB) *env {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "quarry.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	acct := &core.Account{Key: []byte(`{"kty":"EC"}`), KeyID: "k", Status: acme.StatusValid, CreatedAt: time.Now()}
	if err := s.NewAccount(t.Context(), acct); err != nil {
		t.Fatalf("NewAccount: %v", err)
	}
	return &env{store: s, ca: testCA(t), acct: acct}
}

// issue signs a real certificate and stores it, revoked with reason unless
// reason is negative.
func (e *env) issue(t testing.TB, reason int, revokedAt time.Time) *ca.Issued {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	e.n++
	name := fmt.Sprintf("h%d.example.com", e.n)
	iss, err := e.ca.Issue(t.Context(), ca.IssueRequest{PublicKey: key.Public(), DNSNames: []string{name}})
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	o := &core.Order{AccountID: e.acct.ID, Status: acme.StatusProcessing, Expires: time.Now().Add(time.Hour),
		Identifiers: []acme.Identifier{{Type: acme.IdentifierDNS, Value: name}}, CreatedAt: time.Now()}
	if err := e.store.NewOrder(t.Context(), o, nil); err != nil {
		t.Fatalf("NewOrder: %v", err)
	}
	cert := &core.Certificate{Serial: iss.Serial, AccountID: e.acct.ID, OrderID: o.ID, IssuerID: iss.IssuerID, DER: iss.DER,
		NotBefore: iss.NotBefore, NotAfter: iss.NotAfter, IssuedAt: time.Now(), Shard: iss.Shard}
	if err := e.store.FinalizeOrder(t.Context(), o.ID, cert); err != nil {
		t.Fatalf("FinalizeOrder: %v", err)
	}
	if reason >= 0 {
		if err := e.store.RevokeCertificate(t.Context(), iss.Serial, reason, revokedAt); err != nil {
			t.Fatalf("RevokeCertificate: %v", err)
		}
	}
	return iss
}

// stored fetches and parses a shard's published CRL.
func (e *env) stored(t testing.TB, issuerID string, shard int) (*core.CRL, *x509.RevocationList) {
	t.Helper()
	c, err := e.store.GetCRL(t.Context(), issuerID, shard)
	if err != nil {
		t.Fatalf("GetCRL(%s, %d): got error %v, want none", issuerID, shard, err)
	}
	parsed, err := x509.ParseRevocationList(c.DER)
	if err != nil {
		t.Fatalf("ParseRevocationList: %v", err)
	}
	return c, parsed
}

func mustParse(t testing.TB, der []byte) *x509.RevocationList {
	t.Helper()
	l, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatalf("ParseRevocationList: %v", err)
	}
	return l
}

// waitNumber waits until a shard's published CRL has number want.
func waitNumber(t testing.TB, e *env, issuerID string, shard int, want int64) *core.CRL {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := e.store.GetCRL(t.Context(), issuerID, shard)
		if err == nil && c.Number >= want {
			if c.Number != want {
				t.Fatalf("CRL %s/%d: got number %d, want %d", issuerID, shard, c.Number, want)
			}
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("CRL %s/%d: got %v (err %v) after 10s, want number %d", issuerID, shard, c, err, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
