package postgres_test

import (
	"testing"

	"github.com/quarry-ca/quarry/internal/storage"
	"github.com/quarry-ca/quarry/internal/storage/postgres"
	"github.com/quarry-ca/quarry/internal/storage/postgres/pgtest"
	"github.com/quarry-ca/quarry/internal/storage/storagetest"
)

func TestStore(t *testing.T) {
	pgtest.ServerDSN(t) // skip once, not per group
	storagetest.Run(t, func(t *testing.T) storage.Store { return open(t, pgtest.NewDatabase(t)) })
}

func open(t testing.TB, dsn string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("Open: got error %v, want none", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// The cluster suite runs over two pools on one database, as two quarry
// instances would.
func TestClusterStore(t *testing.T) {
	pgtest.ServerDSN(t)
	storagetest.RunCluster(t, func(t *testing.T) (storage.ClusterStore, storage.ClusterStore) {
		dsn := pgtest.NewDatabase(t)
		return open(t, dsn), open(t, dsn)
	})
}
