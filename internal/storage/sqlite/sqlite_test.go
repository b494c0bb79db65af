package sqlite_test

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/storage"
	"github.com/quarry-ca/quarry/internal/storage/sqlite"
	"github.com/quarry-ca/quarry/internal/storage/storagetest"
)

func TestStore(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store { return open(t, filepath.Join(t.TempDir(), "quarry.db")) })
}

func open(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open(%q): got error %v, want none", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var now = time.Date(2030, 3, 4, 5, 6, 7, 8, time.UTC)

func newAccount(t testing.TB, s *sqlite.Store, n int) *core.Account {
	t.Helper()
	a := &core.Account{Key: []byte(`{"kty":"OKP"}`), KeyID: fmt.Sprintf("key-%d", n), Status: acme.StatusValid, CreatedAt: now}
	if err := s.NewAccount(t.Context(), a); err != nil {
		t.Fatalf("NewAccount: got error %v, want none", err)
	}
	return a
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "quarry.db")
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: got error %v, want none", err)
	}
	acct := newAccount(t, s, 1)
	az := &core.Authorization{AccountID: acct.ID, Identifier: acme.Identifier{Type: acme.IdentifierDNS, Value: "a.example"},
		Status: acme.StatusValid, Expires: now.Add(time.Hour),
		Challenges: []*core.Challenge{{Type: acme.ChallengeDNS01, Status: acme.StatusValid, Token: "t", Validated: now}}}
	o := &core.Order{AccountID: acct.ID, Status: acme.StatusProcessing, Expires: now.Add(time.Hour),
		Identifiers: []acme.Identifier{az.Identifier}, CreatedAt: now}
	if err := s.NewOrder(t.Context(), o, []*core.Authorization{az}); err != nil {
		t.Fatalf("NewOrder: got error %v, want none", err)
	}
	cert := &core.Certificate{Serial: "0a0b", AccountID: acct.ID, OrderID: o.ID, IssuerID: "i", DER: []byte{1}, IssuedAt: now}
	if err := s.FinalizeOrder(t.Context(), o.ID, cert); err != nil {
		t.Fatalf("FinalizeOrder: got error %v, want none", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: got error %v, want none", err)
	}

	s = open(t, path)
	checks := []struct {
		name string
		get  func() (any, error)
		want any
	}{
		{"account", func() (any, error) { a, err := s.GetAccountByKeyID(t.Context(), acct.KeyID); return a.ID, err }, acct.ID},
		{"order", func() (any, error) { o, err := s.GetOrder(t.Context(), o.ID); return o.CertSerial, err }, "0a0b"},
		{"authorization", func() (any, error) {
			az, err := s.GetAuthorization(t.Context(), az.ID)
			return az.Challenges[0].Validated, err
		}, now},
		{"certificate", func() (any, error) { c, err := s.GetCertificate(t.Context(), "0a0b"); return c.OrderID, err }, o.ID},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.get()
			if err != nil {
				t.Fatalf("after reopening: got error %v, want none", err)
			}
			if got != c.want {
				t.Errorf("after reopening: got %v, want %v", got, c.want)
			}
		})
	}
}

func TestOpenRefuses(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, path string)
		check func(t *testing.T, err error)
	}{
		{"newer schema", func(t *testing.T, path string) {
			s := open(t, path)
			known, err := s.SchemaVersion(t.Context())
			if err != nil {
				t.Fatalf("SchemaVersion: got error %v, want none", err)
			}
			s.Close()
			execRaw(t, path, `INSERT INTO schema_migrations (version, name) VALUES (?, 'from the future')`, known+1)
		}, func(t *testing.T, err error) {
			var sv *sqlite.SchemaVersionError
			if !errors.As(err, &sv) || sv.Have != sv.Known+1 {
				t.Errorf("Open: got error %v, want a SchemaVersionError one version ahead", err)
			}
		}},
		{"not a database", func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("this is not an SQLite database, not even close to one."), 0o600); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T, err error) {
			if err == nil {
				t.Errorf("Open: got no error, want one")
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "quarry.db")
			tc.setup(t, path)
			s, err := sqlite.Open(t.Context(), path)
			if err == nil {
				s.Close()
			}
			tc.check(t, err)
		})
	}
}

// execRaw changes a database behind the Store's back.
func execRaw(t *testing.T, path, query string, args ...any) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func TestOpenAwkwardPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "we?ird #dir%20 name")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "q?uarry.db")
	newAccount(t, open(t, path), 1)
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database file: got %v, want it at %q", err, path)
	}
}

// TestConcurrentWriters has many goroutines, on one Store and on a second
// Store over the same file (as a second process would be), write and read
// at once: none may see SQLITE_BUSY or lose a row.
func TestConcurrentWriters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "quarry.db")
	stores := []*sqlite.Store{open(t, path), open(t, path)}
	const workers, each = 8, 15
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		s := stores[w%len(stores)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := writeAndRead(t, s, w*each+i); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent write: got error %v, want none", err)
	}
	for n := range workers * each {
		if _, err := stores[0].GetAccountByKeyID(t.Context(), fmt.Sprintf("key-%d", n)); err != nil {
			t.Errorf("account %d after the race: got error %v, want it stored", n, err)
		}
	}
}

func writeAndRead(t *testing.T, s *sqlite.Store, n int) error {
	a := &core.Account{Key: []byte(`{}`), KeyID: fmt.Sprintf("key-%d", n), Status: acme.StatusValid, CreatedAt: now}
	if err := s.NewAccount(t.Context(), a); err != nil {
		return err
	}
	az := &core.Authorization{AccountID: a.ID, Identifier: acme.Identifier{Type: acme.IdentifierDNS, Value: "x.example"},
		Status: acme.StatusPending, Expires: now.Add(time.Hour),
		Challenges: []*core.Challenge{{Type: acme.ChallengeHTTP01, Status: acme.StatusPending, Token: "t"}}}
	o := &core.Order{AccountID: a.ID, Status: acme.StatusPending, Expires: now.Add(time.Hour), CreatedAt: now}
	if err := s.NewOrder(t.Context(), o, []*core.Authorization{az}); err != nil {
		return err
	}
	if _, err := s.GetOrder(t.Context(), o.ID); err != nil {
		return err
	}
	return s.StartChallenge(t.Context(), az.Challenges[0].ID)
}

// TestCluster runs the shared-database suite on two stores opened on one
// file, as two quarry serve processes would.
func TestCluster(t *testing.T) {
	storagetest.RunCluster(t, func(t *testing.T) (storage.ClusterStore, storage.ClusterStore) {
		path := filepath.Join(t.TempDir(), "quarry.db")
		return open(t, path), open(t, path)
	})
}

func TestPingClosed(t *testing.T) {
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "quarry.db"))
	if err != nil {
		t.Fatalf("Open: got error %v, want none", err)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping on an open store: got %v, want nil", err)
	}
	s.Close()
	if err := s.Ping(t.Context()); err == nil {
		t.Fatal("Ping on a closed store: got nil, want an error")
	}
}
