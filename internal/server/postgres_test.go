package server_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	xacme "golang.org/x/crypto/acme"

	"github.com/quarry-ca/quarry/internal/config"
	"github.com/quarry-ca/quarry/internal/storage/postgres"
	"github.com/quarry-ca/quarry/internal/storage/postgres/pgtest"
	"github.com/quarry-ca/quarry/internal/storage/sqlite"
)

// TestMoveToPostgres follows the operator's path from SQLite to
// PostgreSQL: issue on SQLite, stop, copy the database, start on
// PostgreSQL with the same data directory (CA keys), and check the old
// account and certificate are there and issuance and revocation go on.
func TestMoveToPostgres(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	e := startEnv(t, func(c *config.Config) { c.DataDir = dir })
	c := e.client()
	e.register(ctx, c)
	before := e.issue(ctx, c, "before.quarry.test")
	e.stop()

	copyDatabase(t, filepath.Join(dir, "quarry.db"), dsn)

	e = startEnv(t, func(cfg *config.Config) { cfg.DataDir, cfg.Storage = dir, dsn })
	key := c.Key
	c = e.client() // the new server listens elsewhere
	c.Key = key
	if _, err := c.GetReg(ctx, ""); err != nil {
		t.Fatalf("account after the move: got error %v, want the account copied", err)
	}
	after := e.issue(ctx, c, "after.quarry.test")
	e.verify(after, "after.quarry.test")
	for name, chain := range map[string][][]byte{"copied": before, "new": after} {
		if err := c.RevokeCert(ctx, nil, chain[0], xacme.CRLReasonKeyCompromise); err != nil {
			t.Errorf("revoking the %s certificate on PostgreSQL: got error %v, want none", name, err)
		}
	}
}

func copyDatabase(t *testing.T, path, dsn string) {
	t.Helper()
	src, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("opening the SQLite database: %v", err)
	}
	defer src.Close()
	dst, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("opening PostgreSQL: %v", err)
	}
	defer dst.Close()
	if _, err := dst.CopyFromSQLite(t.Context(), src.ReadOnlyDB(), nil); err != nil {
		t.Fatalf("CopyFromSQLite: got error %v, want none", err)
	}
}
