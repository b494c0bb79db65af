package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"

	"github.com/quarry-ca/quarry/internal/storage/sqlbase"
)

// migrationFiles holds the schema, one NNNN_name.sql file per version.
// Released files are never edited: a change is a new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// SchemaVersionError reports a database written by a newer Quarry: this
// code does not know its schema and must not write to it. It is the same
// type for every backend.
type SchemaVersionError = sqlbase.SchemaVersionError

// migrations returns the embedded migrations in ascending version order.
func migrations() ([]sqlbase.Migration, error) {
	return sqlbase.ReadMigrations(migrationFiles, "migrations")
}

// migrate applies pending migrations in one transaction; the write lock it
// takes first keeps two processes from migrating at once.
func (s *Store) migrate(ctx context.Context) error {
	all, err := migrations()
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at INTEGER NOT NULL DEFAULT (unixepoch())
		) STRICT`)
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
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("applying migration %s: %w", m.Name, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES (?, ?)`, m.Version, m.Name); err != nil {
				return fmt.Errorf("recording migration %s: %w", m.Name, err)
			}
		}
		return nil
	})
}

func appliedVersions(ctx context.Context, tx *sql.Tx) (map[int]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("reading applied migrations: %w", err)
	}
	defer rows.Close()
	applied := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("reading applied migrations: %w", err)
		}
		applied[v] = true
	}
	return applied, rows.Err()
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func schemaVersion(ctx context.Context, q querier) (int, error) {
	var v int
	if err := q.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("reading schema version: %w", err)
	}
	return v, nil
}

// SchemaVersion returns the database's schema version, for operators'
// tools and tests.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	return schemaVersion(ctx, s.reader)
}
