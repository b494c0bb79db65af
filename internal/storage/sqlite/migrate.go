package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// migrationFiles holds the schema, one NNNN_name.sql file per version.
// Released files are never edited: a change is a new file.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

// SchemaVersionError reports a database written by a newer Quarry: this
// code does not know its schema and must not write to it.
type SchemaVersionError struct {
	Have  int // the database's schema version
	Known int // the newest version this code knows
}

func (e *SchemaVersionError) Error() string {
	return fmt.Sprintf("the database schema is version %d but this quarry knows only up to %d; run a newer quarry or restore a backup", e.Have, e.Known)
}

type migration struct {
	version int
	name    string
	sql     string
}

// migrations returns the embedded migrations in ascending version order.
// Versions need not be contiguous: work developed in parallel claims its
// own number, and a database applies every version it lacks.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, fmt.Errorf("reading migrations: %w", err)
	}
	var out []migration
	for _, e := range entries { // ReadDir sorts by name
		prefix, _, _ := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(prefix)
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a version number", e.Name())
		}
		if v < 1 || (len(out) > 0 && v <= out[len(out)-1].version) {
			return nil, fmt.Errorf("migration %s: version %d is out of order or repeated", e.Name(), v)
		}
		body, err := fs.ReadFile(migrationFiles, path.Join("migrations", e.Name()))
		if err != nil {
			return nil, fmt.Errorf("reading migration %s: %w", e.Name(), err)
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(body)})
	}
	return out, nil
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
		known := all[len(all)-1].version
		for v := range applied {
			if v > known {
				return &SchemaVersionError{Have: maxVersion(applied), Known: known}
			}
		}
		for _, m := range all {
			if applied[m.version] {
				continue
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("applying migration %s: %w", m.name, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES (?, ?)`, m.version, m.name); err != nil {
				return fmt.Errorf("recording migration %s: %w", m.name, err)
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

func maxVersion(vs map[int]bool) int {
	m := 0
	for v := range vs {
		m = max(m, v)
	}
	return m
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
