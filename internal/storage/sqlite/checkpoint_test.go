package sqlite

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// TestBackgroundCheckpoint: the writer never checkpoints by itself, and
// committed data still reaches the database file soon, through the
// background checkpointer, though the log is far below the 1000 pages at
// which SQLite's own automatic checkpoint would start.
func TestBackgroundCheckpoint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "quarry.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var auto int
	if err := s.writer.QueryRowContext(t.Context(), "PRAGMA wal_autocheckpoint").Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("got writer wal_autocheckpoint %d (%v), want 0", auto, err)
	}
	// Let the checkpoint of the migrations settle first.
	time.Sleep(3 * checkpointEvery)
	before := size(t, path)
	for i := range 50 {
		a := &core.Account{Key: make([]byte, 2000), KeyID: fmt.Sprintf("k%d", i), Status: acme.StatusValid}
		if err := s.NewAccount(t.Context(), a); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(20 * checkpointEvery)
	for size(t, path) <= before {
		if time.Now().After(deadline) {
			t.Fatalf("got a database file of %d bytes after %s, want it grown past %d by a checkpoint", size(t, path), 20*checkpointEvery, before)
		}
		time.Sleep(checkpointEvery / 5)
	}
}

func size(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
