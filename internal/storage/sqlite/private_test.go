package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestNewDatabaseIsPrivate checks a new database and its WAL files are
// readable by their owner only, even in a directory others may read, and
// that an existing file keeps its permissions.
func TestNewDatabaseIsPrivate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "quarry.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.SharedSecret(ctx, "review", []byte("secret")); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatalf("stat %s: %v", filepath.Base(f), err)
		}
		if got := fi.Mode().Perm(); got&0o077 != 0 {
			t.Errorf("%s: got mode %v, want no access for group or others", filepath.Base(f), got)
		}
	}

	existing := filepath.Join(dir, "existing.db")
	if err := os.WriteFile(existing, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(existing, 0o640); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(ctx, existing)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if fi, err := os.Stat(existing); err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf("existing database: got %v, %v; want its mode 0640 kept", fi.Mode().Perm(), err)
	}
}
