package backend

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/quarry-ca/quarry/internal/ratelimit"
	"github.com/quarry-ca/quarry/internal/storage"
	"github.com/quarry-ca/quarry/internal/storage/postgres"
	"github.com/quarry-ca/quarry/internal/storage/sqlite"
)

// Kind is a storage backend.
type Kind string

const (
	SQLite   Kind = "sqlite"
	Postgres Kind = "postgres"
)

// Store is what a backend gives: the storage contract, the shared
// rate-limit counters, and the schema version, which operators' tools print.
type Store interface {
	storage.Store
	storage.ClusterStore
	ratelimit.Store
	SchemaVersion(ctx context.Context) (int, error)
}

var (
	_ Store = (*sqlite.Store)(nil)
	_ Store = (*postgres.Store)(nil)
)

// Parse splits dsn into its backend and what that backend opens: a file
// path for SQLite, the whole URL for PostgreSQL. Its errors never repeat
// the DSN, which may hold a password.
func Parse(dsn string) (Kind, string, error) {
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		if path == "" {
			return "", "", errors.New(`storage "sqlite:" names no file; want sqlite:PATH`)
		}
		return SQLite, path, nil
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		u, err := url.Parse(dsn)
		if err != nil || u.Host == "" && u.Query().Get("host") == "" {
			return "", "", errors.New("storage: the postgres:// URL does not parse or names no host")
		}
		return Postgres, dsn, nil
	}
	return "", "", errors.New("storage: want sqlite:PATH, postgres://… or postgresql://…")
}

// Open opens (and migrates) the store dsn names.
func Open(ctx context.Context, dsn string) (Store, error) {
	kind, target, err := Parse(dsn)
	if err != nil {
		return nil, err
	}
	switch kind {
	case SQLite:
		s, err := sqlite.Open(ctx, target)
		if err != nil {
			return nil, err
		}
		return s, nil
	default:
		s, err := postgres.Open(ctx, target)
		if err != nil {
			return nil, fmt.Errorf("opening %s: %w", Redact(dsn), err)
		}
		return s, nil
	}
}

// Redact returns dsn with any password replaced by "xxxxx", fit for logs.
// A URL that does not parse is reduced to its scheme.
func Redact(dsn string) string {
	if strings.HasPrefix(dsn, "sqlite:") {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		scheme, _, _ := strings.Cut(dsn, ":")
		return scheme + "://(unparseable)"
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
