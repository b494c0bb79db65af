package postgres_test

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/quarry-ca/quarry/internal/storage/postgres"
	"github.com/quarry-ca/quarry/internal/storage/postgres/pgtest"
)

// knownVersion is the newest migration in this tree.
func knownVersion(t *testing.T) int {
	t.Helper()
	s := open(t, pgtest.NewDatabase(t))
	v, err := s.SchemaVersion(t.Context())
	if err != nil {
		t.Fatalf("SchemaVersion: got error %v, want none", err)
	}
	return v
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	s := open(t, dsn)
	known, err := s.SchemaVersion(t.Context())
	if err != nil || known < 2 {
		t.Fatalf("SchemaVersion: got %d, %v; want at least 2", known, err)
	}
	s.Close()
	pgtest.Exec(t, dsn, `INSERT INTO schema_migrations (version, name) VALUES ($1, 'from the future')`, known+1)

	s2, err := postgres.Open(t.Context(), dsn)
	if err == nil {
		s2.Close()
	}
	var sv *postgres.SchemaVersionError
	if !errors.As(err, &sv) || sv.Have != known+1 || sv.Known != known {
		t.Errorf("Open: got error %v, want a SchemaVersionError with Have %d, Known %d", err, known+1, known)
	}
}

// TestConcurrentMigration starts several stores on one empty database at
// once, as instances of a fresh deployment would: the advisory lock must
// let exactly one apply each migration and the others open cleanly.
func TestConcurrentMigration(t *testing.T) {
	want := knownVersion(t)
	dsn := pgtest.NewDatabase(t)
	const instances = 4
	var wg sync.WaitGroup
	stores := make([]*postgres.Store, instances)
	errs := make([]error, instances)
	for i := range instances {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = postgres.Open(t.Context(), dsn)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("instance %d: Open got error %v, want none", i, err)
			continue
		}
		defer stores[i].Close()
		if v, err := stores[i].SchemaVersion(t.Context()); err != nil || v != want {
			t.Errorf("instance %d: SchemaVersion got %d, %v; want %d", i, v, err, want)
		}
	}
	s := open(t, dsn)
	applied, err := s.AppliedVersions(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != len(entries) {
		t.Errorf("schema_migrations: got %d versions, want %d (one per file)", len(applied), len(entries))
	}
}

// TestMigrationBackfillsShards opens a version-1 database holding
// certificates and checks migration 2 gives each its 16-shard CRL shard,
// the serial's last hex digit, as the SQLite port does.
func TestMigrationBackfillsShards(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	v1, err := os.ReadFile(filepath.Join("migrations", "0001_initial.sql"))
	if err != nil {
		t.Fatal(err)
	}
	pgtest.Exec(t, dsn, string(v1))
	pgtest.Exec(t, dsn, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
		applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`)
	pgtest.Exec(t, dsn, `INSERT INTO schema_migrations (version, name) VALUES (1, '0001_initial.sql')`)
	pgtest.Exec(t, dsn, `INSERT INTO accounts (id, key_json, key_id, contact, status, terms_agreed, eab_kid, initial_ip)
		VALUES (1, '\x00', 'k', '[]', 'valid', true, '', '')`)
	pgtest.Exec(t, dsn, `INSERT INTO orders (id, account_id, status, identifiers, profile, replaces)
		VALUES (1, 1, 'valid', '[]', '', '')`)
	want := map[string]int{"510a": 10, "51ff": 15, "5100": 0, "5109": 9, "51AB": 11}
	for serial := range want {
		pgtest.Exec(t, dsn, `INSERT INTO certificates (serial, account_id, order_id, issuer_id, der, names)
			VALUES ($1, 1, 1, 'e1', '\x00', '[]')`, serial)
	}
	s := open(t, dsn)
	if v, err := s.SchemaVersion(t.Context()); err != nil || v < 2 {
		t.Fatalf("SchemaVersion: got %d, %v, want at least 2", v, err)
	}
	for serial, shard := range want {
		c, err := s.GetCertificate(t.Context(), serial)
		if err != nil {
			t.Fatalf("GetCertificate(%s): %v", serial, err)
		}
		if c.Shard != shard {
			t.Errorf("certificate %s after migration: got shard %d, want %d", serial, c.Shard, shard)
		}
	}
}
