package ra

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/storage/sqlite"
)

func TestNormalizeSerial(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"5ca1ab1e", "5ca1ab1e"},
		{"5CA1AB1E", "5ca1ab1e"},
		{"0x5ca1ab1e", "5ca1ab1e"},
		{"00:5c:a1:ab:1e", "5ca1ab1e"},
		{"  0005ca1ab1e\n", "5ca1ab1e"},
		{strings.Repeat("f", 40), strings.Repeat("f", 40)},
		{"", ""},
		{"0", ""},
		{"-5", ""},
		{"+5", ""},
		{"xyz", ""},
		{"5_5", ""},
		{strings.Repeat("f", 41), ""}, // 21 octets: past RFC 5280's 20
	}
	for _, tc := range tests {
		got, err := NormalizeSerial(tc.in)
		if got != tc.want || (err != nil) != (tc.want == "") {
			t.Errorf("NormalizeSerial(%q): got %q, %v; want %q", tc.in, got, err, tc.want)
		}
		if err != nil && !errors.Is(err, core.ErrMalformed) {
			t.Errorf("NormalizeSerial(%q): got error %v, want kind malformed", tc.in, err)
		}
	}
}

// recordingCRL is a RevocationListener that remembers what it was told.
type recordingCRL struct {
	mu   sync.Mutex
	told []string
}

func (c *recordingCRL) Revoked(issuerID string, shard int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.told = append(c.told, fmt.Sprintf("%s/%d", issuerID, shard))
}

// adminEnv is a store holding one account with a valid authorization and
// an order with a real (self-signed) certificate.
type adminEnv struct {
	admin *Admin
	crl   *recordingCRL
	log   *bytes.Buffer
	acct  *core.Account
	order *core.Order
	cert  *core.Certificate
	store *sqlite.Store
}

func newAdminEnv(t *testing.T, now time.Time) *adminEnv {
	t.Helper()
	ctx := t.Context()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "quarry.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	e := &adminEnv{crl: &recordingCRL{}, log: &bytes.Buffer{}, store: s}
	e.acct = &core.Account{Key: []byte(`{}`), KeyID: "k", Status: acme.StatusValid, CreatedAt: now}
	if err := s.NewAccount(ctx, e.acct); err != nil {
		t.Fatal(err)
	}
	id := acme.Identifier{Type: acme.IdentifierDNS, Value: "a.example"}
	az := &core.Authorization{AccountID: e.acct.ID, Identifier: id, Status: acme.StatusValid, Expires: now.Add(time.Hour),
		Challenges: []*core.Challenge{{Type: acme.ChallengeHTTP01, Status: acme.StatusValid, Token: "t", Validated: now}}}
	e.order = &core.Order{AccountID: e.acct.ID, Status: acme.StatusProcessing, Expires: now.Add(time.Hour),
		Identifiers: []acme.Identifier{id}, CreatedAt: now}
	if err := s.NewOrder(ctx, e.order, []*core.Authorization{az}); err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(0x5ca1ab1e), DNSNames: []string{"a.example"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	e.cert = &core.Certificate{Serial: "5ca1ab1e", AccountID: e.acct.ID, OrderID: e.order.ID, IssuerID: "e1", DER: der,
		Names: []string{"a.example"}, NotBefore: tmpl.NotBefore, NotAfter: tmpl.NotAfter, IssuedAt: now, Shard: 3}
	if err := s.FinalizeOrder(ctx, e.order.ID, e.cert); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(e.log, nil))
	if e.admin, err = NewAdmin(AdminDeps{Store: s, CRL: e.crl, Log: log, Clock: func() time.Time { return now }}); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestAdminRevoke(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	op := Operator{User: "alice", Comment: "ticket 42"}
	tests := []struct {
		name       string
		op         Operator
		serial     string
		reason     int
		dryRun     bool
		wantErr    error
		wantStored bool // revoked in the store afterwards
	}{
		{"revokes", op, "5ca1ab1e", 1, false, nil, true},
		{"dry run changes nothing", op, "5ca1ab1e", 4, true, nil, false},
		{"privilegeWithdrawn is the CA's own", op, "5ca1ab1e", 9, false, nil, true},
		{"unknown serial", op, "abc", 1, false, core.ErrNotFound, false},
		{"reason the BRs forbid", op, "5ca1ab1e", 6, false, core.ErrBadRevocationReason, false},
		{"no comment", Operator{User: "alice", Comment: " "}, "5ca1ab1e", 1, false, core.ErrMalformed, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newAdminEnv(t, now)
			info, err := e.admin.Revoke(t.Context(), tc.op, tc.serial, tc.reason, tc.dryRun)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("Revoke: got error %v, want %v", err, tc.wantErr)
			}
			if err == nil && (info.Status != CertRevoked || info.Cert.RevocationReason != tc.reason) {
				t.Errorf("Revoke: got status %s reason %d, want revoked with %d", info.Status, info.Cert.RevocationReason, tc.reason)
			}
			stored, _ := e.store.GetCertificate(t.Context(), e.cert.Serial)
			if stored.Revoked != tc.wantStored {
				t.Errorf("stored certificate: got revoked %v, want %v", stored.Revoked, tc.wantStored)
			}
			wantTold, wantAudit := 0, 0
			if tc.wantStored {
				wantTold, wantAudit = 1, 1
				if !stored.RevokedAt.Equal(now) || stored.RevocationReason != tc.reason {
					t.Errorf("stored certificate: got revoked at %v reason %d, want %v reason %d", stored.RevokedAt, stored.RevocationReason, now, tc.reason)
				}
			}
			if len(e.crl.told) != wantTold || (wantTold == 1 && e.crl.told[0] != "e1/3") {
				t.Errorf("CRL listener: got told %v, want %d call(s) for e1/3", e.crl.told, wantTold)
			}
			audit := `"msg":"certificate revoked","operator":"alice","comment":"ticket 42","serial":"5ca1ab1e"`
			if got := strings.Count(e.log.String(), audit); got != wantAudit {
				t.Errorf("audit log: got %d events %q in\n%s\nwant %d", got, audit, e.log.String(), wantAudit)
			}
		})
	}
	t.Run("keyCompromise blocks the key, as over ACME", func(t *testing.T) {
		e := newAdminEnv(t, now)
		parsed, _ := x509.ParseCertificate(e.cert.DER)
		h, err := spkiHash(parsed.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.admin.Revoke(t.Context(), op, "5ca1ab1e", 4, false); err != nil {
			t.Fatal(err)
		}
		if blocked, _ := e.store.KeyBlocked(t.Context(), h); blocked {
			t.Fatal("after a superseded revocation: got the key blocked, want it not blocked")
		}
		// Already revoked for another reason: refused, yet the key is blocked.
		if _, err := e.admin.Revoke(t.Context(), op, "5ca1ab1e", 1, false); !errors.Is(err, core.ErrAlreadyRevoked) {
			t.Errorf("keyCompromise after superseded: got %v, want already revoked", err)
		}
		if blocked, err := e.store.KeyBlocked(t.Context(), h); !blocked || err != nil {
			t.Errorf("after keyCompromise: got key blocked %v (%v), want blocked", blocked, err)
		}
	})
	t.Run("already revoked", func(t *testing.T) {
		e := newAdminEnv(t, now)
		if _, err := e.admin.Revoke(t.Context(), op, "5ca1ab1e", 4, false); err != nil {
			t.Fatal(err)
		}
		_, err := e.admin.Revoke(t.Context(), op, "5ca1ab1e", 1, false)
		if !errors.Is(err, core.ErrAlreadyRevoked) || !strings.Contains(err.Error(), "superseded") {
			t.Errorf("second Revoke: got %v, want already revoked naming the first reason", err)
		}
		if stored, _ := e.store.GetCertificate(t.Context(), "5ca1ab1e"); stored.RevocationReason != 4 {
			t.Errorf("second Revoke: got stored reason %d, want the first (4) kept", stored.RevocationReason)
		}
	})
}

func TestAdminDeactivateAccount(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	op := Operator{User: "bob", Comment: "abuse report"}
	for _, dry := range []bool{true, false} {
		t.Run(fmt.Sprintf("dry run %v", dry), func(t *testing.T) {
			e := newAdminEnv(t, now)
			got, err := e.admin.DeactivateAccount(t.Context(), op, e.acct.ID, dry)
			if err != nil || got.Status != acme.StatusDeactivated {
				t.Fatalf("DeactivateAccount: got %v, %v; want the account deactivated", got, err)
			}
			stored, _ := e.store.GetAccount(t.Context(), e.acct.ID)
			info, _ := e.admin.Order(t.Context(), e.order.ID)
			wantAcct, wantAuthz := acme.StatusDeactivated, acme.StatusDeactivated
			if dry {
				wantAcct, wantAuthz = acme.StatusValid, acme.StatusValid
			}
			if stored.Status != wantAcct || info.Authzs[0].Status != wantAuthz {
				t.Errorf("after: got account %s, authorization %s; want %s, %s", stored.Status, info.Authzs[0].Status, wantAcct, wantAuthz)
			}
			if logged := strings.Contains(e.log.String(), `"msg":"account deactivated","operator":"bob","comment":"abuse report"`); logged == dry {
				t.Errorf("audit event logged %v, want %v; log:\n%s", logged, !dry, e.log.String())
			}
		})
	}
	t.Run("twice", func(t *testing.T) {
		e := newAdminEnv(t, now)
		if _, err := e.admin.DeactivateAccount(t.Context(), op, e.acct.ID, false); err != nil {
			t.Fatal(err)
		}
		if _, err := e.admin.DeactivateAccount(t.Context(), op, e.acct.ID, false); !errors.Is(err, core.ErrConflict) {
			t.Errorf("second DeactivateAccount: got %v, want a conflict", err)
		}
	})
	t.Run("unknown", func(t *testing.T) {
		e := newAdminEnv(t, now)
		if _, err := e.admin.DeactivateAccount(t.Context(), op, 999, false); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("DeactivateAccount(999): got %v, want not found", err)
		}
	})
}

func TestAdminShow(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	e := newAdminEnv(t, now)
	info, err := e.admin.Order(t.Context(), e.order.ID)
	if err != nil || info.Status != acme.StatusValid || info.Order.CertSerial != "5ca1ab1e" || len(info.Authzs) != 1 {
		t.Errorf("Order: got %+v, %v; want valid with certificate 5ca1ab1e and one authorization", info, err)
	}
	later, err := NewAdmin(AdminDeps{Store: e.store, Clock: func() time.Time { return now.Add(48 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		admin *Admin
		want  CertStatus
	}{{"now", e.admin, CertValid}, {"after expiry", later, CertExpired}} {
		c, err := tc.admin.Certificate(t.Context(), "5ca1ab1e")
		if err != nil || c.Status != tc.want || c.Parsed.SerialNumber.Int64() != 0x5ca1ab1e {
			t.Errorf("%s: Certificate: got %+v, %v; want status %s", tc.name, c, err, tc.want)
		}
	}
	if _, err := e.admin.Order(t.Context(), 999); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("Order(999): got %v, want not found", err)
	}
	if _, err := e.admin.Account(t.Context(), 999); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("Account(999): got %v, want not found", err)
	}
}
