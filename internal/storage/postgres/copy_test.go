package postgres_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/storage"
	"github.com/quarry-ca/quarry/internal/storage/postgres"
	"github.com/quarry-ca/quarry/internal/storage/postgres/pgtest"
	"github.com/quarry-ca/quarry/internal/storage/sqlite"
)

// filled is what fill stored, to look up again after a copy.
type filled struct {
	accounts, orders, authzs []int64
	serials                  []string
}

// fill stores n accounts through s, each with an order for two names
// (one a wildcard) validated, finalized and, for the first, revoked; plus
// an issued CRL number and a stored CRL.
func fill(t *testing.T, s storage.Store, n int) filled {
	t.Helper()
	ctx := t.Context()
	var f filled
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: got error %v, want none", what, err)
		}
	}
	for i := range n {
		a := &core.Account{Key: []byte(fmt.Sprintf(`{"kty":"OKP","x":"%d"}`, i)), KeyID: fmt.Sprintf("tp-%d", i),
			Contact: []string{fmt.Sprintf("mailto:a%d@example.com", i)}, Status: acme.StatusValid,
			TermsAgreed: i%2 == 0, CreatedAt: now, InitialIP: "192.0.2.1"}
		must("NewAccount", s.NewAccount(ctx, a))
		var azs []*core.Authorization
		for _, name := range []string{fmt.Sprintf("h%d.example", i), fmt.Sprintf("w%d.example", i)} {
			azs = append(azs, &core.Authorization{AccountID: a.ID, Identifier: acme.Identifier{Type: acme.IdentifierDNS, Value: name},
				Wildcard: strings.HasPrefix(name, "w"), Status: acme.StatusPending, Expires: now.Add(time.Hour),
				Challenges: []*core.Challenge{
					{Type: acme.ChallengeDNS01, Status: acme.StatusPending, Token: fmt.Sprintf("d%s", name)},
					{Type: acme.ChallengeHTTP01, Status: acme.StatusPending, Token: fmt.Sprintf("h%s", name)},
				}})
		}
		o := &core.Order{AccountID: a.ID, Status: acme.StatusPending, Expires: now.Add(time.Hour), Profile: "classic",
			Identifiers: []acme.Identifier{azs[0].Identifier, {Type: acme.IdentifierDNS, Value: "*." + azs[1].Identifier.Value}},
			CreatedAt:   now}
		must("NewOrder", s.NewOrder(ctx, o, azs))
		for _, az := range azs {
			ch := az.Challenges[0]
			must("StartChallenge", s.StartChallenge(ctx, ch.ID))
			ch.Status, ch.Validated, ch.Records = acme.StatusValid, now, []acme.ValidationRecord{{Hostname: az.Identifier.Value}}
			az.Status, az.Expires = acme.StatusValid, now.Add(30*24*time.Hour)
			must("FinishChallenge", s.FinishChallenge(ctx, az, ch))
			f.authzs = append(f.authzs, az.ID)
		}
		must("SetOrderStatus", s.SetOrderStatus(ctx, o.ID, acme.StatusPending, acme.StatusProcessing, nil))
		serial := fmt.Sprintf("%032x", 0xabc00+i)
		must("FinalizeOrder", s.FinalizeOrder(ctx, o.ID, &core.Certificate{Serial: serial, AccountID: a.ID, OrderID: o.ID,
			IssuerID: "e1", DER: []byte{0x30, byte(i)}, Names: []string{azs[0].Identifier.Value}, NotBefore: now,
			NotAfter: now.Add(90 * 24 * time.Hour), IssuedAt: now, Shard: i % 4}))
		if i == 0 {
			must("RevokeCertificate", s.RevokeCertificate(ctx, serial, 4, now.Add(time.Minute)))
		}
		f.accounts, f.orders, f.serials = append(f.accounts, a.ID), append(f.orders, o.ID), append(f.serials, serial)
	}
	for range 2 {
		_, err := s.NextCRLNumber(ctx, "e1", 0)
		must("NextCRLNumber", err)
	}
	must("PutCRL", s.PutCRL(ctx, &core.CRL{IssuerID: "e1", Shard: 0, Number: 2, DER: []byte{0x30, 0},
		ThisUpdate: now, NextUpdate: now.Add(24 * time.Hour)}))
	if n > 1 { // the second order replaces the first certificate; that key is blocked
		must("ClaimReplacement", s.ClaimReplacement(ctx, f.serials[0], f.orders[1]))
		must("BlockKey", s.BlockKey(ctx, make([]byte, 32), f.serials[0], now))
	}
	return f
}

func openSQLite(t *testing.T) (*sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "quarry.db")
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("sqlite.Open: got error %v, want none", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func TestCopyFromSQLite(t *testing.T) {
	src, _ := openSQLite(t)
	f := fill(t, src, 3)
	now := time.Now()
	err := src.UpdateRateLimits(t.Context(), []string{"bucket"}, now, func(map[string]time.Time) (map[string]time.Time, error) {
		return map[string]time.Time{"bucket": now.Add(time.Hour)}, nil
	})
	if err != nil {
		t.Fatalf("UpdateRateLimits: %v", err)
	}
	if _, err := src.SharedSecret(t.Context(), "nonce-mac", make([]byte, 32)); err != nil {
		t.Fatalf("SharedSecret: %v", err)
	}
	if _, err := src.UseNonce(t.Context(), []byte("nonce"), now.Add(time.Hour)); err != nil {
		t.Fatalf("UseNonce: %v", err)
	}
	dst := open(t, pgtest.NewDatabase(t))

	var progress []postgres.TableCount
	counts, err := dst.CopyFromSQLite(t.Context(), src.ReadOnlyDB(), func(c postgres.TableCount) { progress = append(progress, c) })
	if err != nil {
		t.Fatalf("CopyFromSQLite: got error %v, want none", err)
	}
	got := map[string]int64{}
	for _, c := range counts {
		got[c.Table] = c.Rows
	}
	want := map[string]int64{"accounts": 3, "orders": 3, "authzs": 6, "order_authzs": 6, "challenges": 12,
		"certificates": 3, "crl_numbers": 1, "crls": 1, "rate_limit_buckets": 1, "replacements": 1, "blocked_keys": 1,
		"shared_secrets": 1, "used_nonces": 1, "leases": 0}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("row counts: got %v, want %v", got, want)
	}
	if !reflect.DeepEqual(progress, counts) {
		t.Errorf("progress: got %v, want one call per table %v", progress, counts)
	}

	t.Run("contents", func(t *testing.T) { sameContents(t, src, dst, f) })
	t.Run("sequences continue", func(t *testing.T) {
		a := &core.Account{Key: []byte(`{}`), KeyID: "after-copy", Status: acme.StatusValid, CreatedAt: now}
		if err := dst.NewAccount(t.Context(), a); err != nil {
			t.Fatalf("NewAccount after copy: got error %v, want none", err)
		}
		if last := f.accounts[len(f.accounts)-1]; a.ID != last+1 {
			t.Errorf("NewAccount after copy: got ID %d, want %d", a.ID, last+1)
		}
		n, err := dst.NextCRLNumber(t.Context(), "e1", 0)
		if err != nil || n != 3 {
			t.Errorf("NextCRLNumber after copy: got %d, %v; want 3", n, err)
		}
	})
	t.Run("refuses a non-empty target", func(t *testing.T) {
		_, err := dst.CopyFromSQLite(t.Context(), src.ReadOnlyDB(), nil)
		if err == nil || !strings.Contains(err.Error(), "not empty") {
			t.Errorf("second copy: got error %v, want a refusal naming a non-empty target", err)
		}
		if a, err := dst.GetAccount(t.Context(), f.accounts[0]); err != nil || a.KeyID != "tp-0" {
			t.Errorf("after the refused copy: got %v, %v; want the first copy's data intact", a, err)
		}
	})
}

// sameContents compares every stored object of f in both stores.
func sameContents(t *testing.T, src, dst storage.Store, f filled) {
	ctx := t.Context()
	check := func(what string, get func(s storage.Store) (any, error)) {
		t.Helper()
		want, err := get(src)
		if err != nil {
			t.Fatalf("%s from the source: %v", what, err)
		}
		got, err := get(dst)
		if err != nil {
			t.Fatalf("%s from the copy: got error %v, want none", what, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %+v, want %+v", what, got, want)
		}
	}
	for _, id := range f.accounts {
		check(fmt.Sprintf("account %d", id), func(s storage.Store) (any, error) { return s.GetAccount(ctx, id) })
	}
	for _, id := range f.orders {
		check(fmt.Sprintf("order %d", id), func(s storage.Store) (any, error) { return s.GetOrder(ctx, id) })
	}
	check("authorizations", func(s storage.Store) (any, error) { return s.GetAuthorizations(ctx, f.authzs) })
	for _, serial := range f.serials {
		check("certificate "+serial, func(s storage.Store) (any, error) { return s.GetCertificate(ctx, serial) })
	}
	check("CRL", func(s storage.Store) (any, error) { return s.GetCRL(ctx, "e1", 0) })
	check("revoked", func(s storage.Store) (any, error) {
		var serials []string
		err := s.RevokedCertificates(ctx, "e1", 0, now, func(serial string, _ time.Time, _ int) error {
			serials = append(serials, serial)
			return nil
		})
		return serials, err
	})
}

func TestCopyFromSQLiteRefusesOtherSchema(t *testing.T) {
	src, path := openSQLite(t)
	fill(t, src, 1)
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.ExecContext(t.Context(), `INSERT INTO schema_migrations (version, name) VALUES (9999, 'only in sqlite')`); err != nil {
		t.Fatal(err)
	}
	dsn := pgtest.NewDatabase(t)
	dst := open(t, dsn)
	_, err = dst.CopyFromSQLite(t.Context(), raw, nil)
	if err == nil || !strings.Contains(err.Error(), "schema versions") {
		t.Fatalf("CopyFromSQLite: got error %v, want a refusal naming the schema versions", err)
	}
	if _, err := dst.GetAccount(t.Context(), 1); err == nil {
		t.Errorf("after the refused copy: got an account in the target, want nothing copied")
	}
}
