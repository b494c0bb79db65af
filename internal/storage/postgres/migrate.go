package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/quarry-ca/quarry/internal/storage/sqlbase"
)

// migrationFiles holds the schema, one NNNN_name.sql file per version,
// numbered as the SQLite migration it ports. Released files are never
// edited: a change is a new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// SchemaVersionError reports a database written by a newer Quarry; the
// same type as the SQLite backend's.
type SchemaVersionError = sqlbase.SchemaVersionError

// migrationLock is the pg_advisory_xact_lock key every quarry takes before
// it looks at the schema, so instances starting together migrate one at a
// time and the later ones find nothing left to do. ("quarry" in ASCII.)
const migrationLock int64 = 0x717561727279

func migrations() ([]sqlbase.Migration, error) {
	return sqlbase.ReadMigrations(migrationFiles, "migrations")
}

// migrate applies every migration the database lacks in one transaction.
// It runs at READ COMMITTED so that, once the lock is granted, it sees what
// an instance that held the lock before it committed.
func (s *Store) migrate(ctx context.Context) error {
	all, err := migrations()
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return fmt.Errorf("taking the migration lock: %w", err)
		}
		_, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
		)`)
		if err != nil {
			return fmt.Errorf("creating schema_migrations: %w", err)
		}
		applied, err := appliedVersions(ctx, tx)
		if err != nil {
			return err
		}
		if err := sqlbase.CheckKnown(all, applied); err != nil {
			return err
		}
		for _, m := range all {
			if applied[m.Version] {
				continue
			}
			// Without arguments pgx sends the simple protocol, which runs a
			// file of several statements.
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("applying migration %s: %w", m.Name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
				return fmt.Errorf("recording migration %s: %w", m.Name, err)
			}
		}
		return nil
	})
}

func appliedVersions(ctx context.Context, q pgx.Tx) (map[int]bool, error) {
	rows, err := q.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("reading applied migrations: %w", err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return nil, fmt.Errorf("reading applied migrations: %w", err)
	}
	applied := make(map[int]bool, len(versions))
	for _, v := range versions {
		applied[int(v)] = true
	}
	return applied, nil
}

// SchemaVersion returns the database's schema version, the highest
// applied, for operators' tools and tests.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int32
	if err := s.pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("reading schema version: %w", err)
	}
	return int(v), nil
}

// AppliedVersions returns every applied schema version, for tools that
// must check two databases hold the same schema.
func (s *Store) AppliedVersions(ctx context.Context) (map[int]bool, error) {
	var applied map[int]bool
	err := s.read(ctx, func(tx pgx.Tx) error {
		var err error
		applied, err = appliedVersions(ctx, tx)
		return err
	})
	return applied, err
}
