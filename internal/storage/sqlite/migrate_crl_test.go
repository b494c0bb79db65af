package sqlite_test

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMigrationBackfillsShards opens a version-1 database holding
// certificates and checks migration 2 gives each its 16-shard CRL shard,
// the serial's last hex digit.
func TestMigrationBackfillsShards(t *testing.T) {
	path := filepath.Join(t.TempDir(), "quarry.db")
	v1, err := os.ReadFile(filepath.Join("migrations", "0001_initial.sql"))
	if err != nil {
		t.Fatal(err)
	}
	execRaw(t, path, `PRAGMA journal_mode=WAL`)
	execRaw(t, path, string(v1))
	execRaw(t, path, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
		applied_at INTEGER NOT NULL DEFAULT (unixepoch())) STRICT`)
	execRaw(t, path, `INSERT INTO schema_migrations (version, name) VALUES (1, '0001_initial.sql')`)
	want := map[string]int{"510a": 10, "51ff": 15, "5100": 0, "5109": 9, "51AB": 11}
	for serial := range want { // foreign keys are off on this raw connection
		execRaw(t, path, `INSERT INTO certificates (serial, account_id, order_id, issuer_id, der, names)
			VALUES (?, 1, 1, 'e1', x'00', '[]')`, serial)
	}
	s := open(t, path)
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
