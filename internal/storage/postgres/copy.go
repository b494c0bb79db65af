package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// TableCount is how many rows one table holds after a copy.
type TableCount struct {
	Table string
	Rows  int64
}

// CopyFromSQLite copies every table of an SQLite database (src, a
// database/sql handle) into this store, which must be empty, in one
// transaction: it commits whole or not at all. Both must be at the same
// schema versions, with the same tables. Identity sequences are moved past
// the copied IDs, so new rows continue where the old database stopped,
// and each table's row count is checked against the source's before
// commit. progress, if not nil, is called after each table.
//
// The target's tables are locked for the copy, so a quarry serving from
// the target meanwhile waits rather than writes.
func (s *Store) CopyFromSQLite(ctx context.Context, src *sql.DB, progress func(TableCount)) ([]TableCount, error) {
	// One read transaction on the source: every table comes from one
	// snapshot, even if a quarry still writes to it.
	stx, err := src.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("reading the source: %w", err)
	}
	defer stx.Rollback() //nolint:errcheck // read-only
	var counts []TableCount
	err = s.write(ctx, func(tx pgx.Tx) error {
		tables, err := matchSchemas(ctx, stx, tx)
		if err != nil {
			return err
		}
		if err := lockEmpty(ctx, tx, tables); err != nil {
			return err
		}
		// Tables refer to each other (orders and certificates both ways);
		// deferred, the references are checked once, at commit.
		if _, err := tx.Exec(ctx, `SET CONSTRAINTS ALL DEFERRED`); err != nil {
			return fmt.Errorf("deferring constraints: %w", err)
		}
		for _, table := range tables {
			n, err := copyTable(ctx, stx, tx, table)
			if err != nil {
				return err
			}
			if err := fixSequences(ctx, tx, table); err != nil {
				return err
			}
			tc := TableCount{Table: table, Rows: n}
			counts = append(counts, tc)
			if progress != nil {
				progress(tc)
			}
		}
		return verifyCounts(ctx, stx, tx, counts)
	})
	if err != nil {
		return nil, err
	}
	return counts, nil
}

// matchSchemas checks source and target are at the same schema versions
// and hold the same tables, and returns the tables to copy, sorted.
func matchSchemas(ctx context.Context, stx *sql.Tx, tx pgx.Tx) ([]string, error) {
	srcVersions, err := sqlStrings(ctx, stx, `SELECT CAST(version AS TEXT) FROM schema_migrations ORDER BY CAST(version AS INTEGER)`)
	if err != nil {
		return nil, fmt.Errorf("reading the source's schema version: %w", err)
	}
	dstVersions, err := pgStrings(ctx, tx, `SELECT version::text FROM schema_migrations ORDER BY version::integer`)
	if err != nil {
		return nil, fmt.Errorf("reading the target's schema version: %w", err)
	}
	if !slices.Equal(srcVersions, dstVersions) {
		return nil, fmt.Errorf("the source has schema versions [%s] but the target [%s]; both must be migrated by the same quarry (a version only one backend has is not ported yet)",
			strings.Join(srcVersions, " "), strings.Join(dstVersions, " "))
	}
	srcTables, err := sqlStrings(ctx, stx, `SELECT name FROM sqlite_master
		WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' AND name != 'schema_migrations' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("listing the source's tables: %w", err)
	}
	dstTables, err := pgStrings(ctx, tx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name != 'schema_migrations'
		ORDER BY table_name`)
	if err != nil {
		return nil, fmt.Errorf("listing the target's tables: %w", err)
	}
	if missing := setMinus(srcTables, dstTables); len(missing) > 0 {
		return nil, fmt.Errorf("the target has no table %s to copy the source's into", strings.Join(missing, ", "))
	}
	if extra := setMinus(dstTables, srcTables); len(extra) > 0 {
		return nil, fmt.Errorf("the source has no table %s the target expects", strings.Join(extra, ", "))
	}
	return dstTables, nil
}

// lockEmpty locks every table against writers and refuses unless all are
// empty: a copy never merges into data already there.
func lockEmpty(ctx context.Context, tx pgx.Tx, tables []string) error {
	quoted := make([]string, len(tables))
	for i, t := range tables {
		quoted[i] = pgx.Identifier{t}.Sanitize()
	}
	if _, err := tx.Exec(ctx, `LOCK TABLE `+strings.Join(quoted, ", ")+` IN EXCLUSIVE MODE`); err != nil {
		return fmt.Errorf("locking the target's tables: %w", err)
	}
	var nonEmpty []string
	for i, t := range tables {
		var has bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+quoted[i]+`)`).Scan(&has); err != nil {
			return fmt.Errorf("checking table %s is empty: %w", t, err)
		}
		if has {
			nonEmpty = append(nonEmpty, t)
		}
	}
	if len(nonEmpty) > 0 {
		return fmt.Errorf("the target database is not empty (table %s has rows); copy only into a new database", strings.Join(nonEmpty, ", "))
	}
	return nil
}

type column struct {
	name     string
	dataType string // information_schema's, e.g. "boolean", "bigint"
}

// copyTable streams one table from the source into the target with COPY.
func copyTable(ctx context.Context, stx *sql.Tx, tx pgx.Tx, table string) (int64, error) {
	rows, err := tx.Query(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, table)
	if err != nil {
		return 0, fmt.Errorf("listing columns of %s: %w", table, err)
	}
	cols, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (column, error) {
		var c column
		return c, r.Scan(&c.name, &c.dataType)
	})
	if err != nil {
		return 0, fmt.Errorf("listing columns of %s: %w", table, err)
	}
	names := make([]string, len(cols))
	quoted := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
		quoted[i] = `"` + strings.ReplaceAll(c.name, `"`, `""`) + `"`
	}
	src, err := stx.QueryContext(ctx, `SELECT `+strings.Join(quoted, ", ")+` FROM "`+strings.ReplaceAll(table, `"`, `""`)+`"`)
	if err != nil {
		return 0, fmt.Errorf("reading %s from the source: %w", table, err)
	}
	defer src.Close()
	n, err := tx.CopyFrom(ctx, pgx.Identifier{table}, names, pgx.CopyFromFunc(func() ([]any, error) {
		if !src.Next() {
			return nil, src.Err()
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := src.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, c := range cols {
			if vals[i], err = convert(vals[i], c.dataType); err != nil {
				return nil, fmt.Errorf("column %s: %w", c.name, err)
			}
		}
		return vals, nil
	}))
	if err != nil {
		return 0, fmt.Errorf("copying %s: %w", table, err)
	}
	return n, nil
}

// convert turns an SQLite value into what the PostgreSQL column takes:
// SQLite has no boolean type and stores flags as 0 and 1.
func convert(v any, dataType string) (any, error) {
	if dataType != "boolean" || v == nil {
		return v, nil
	}
	switch b := v.(type) {
	case int64:
		if b != 0 && b != 1 {
			return nil, fmt.Errorf("flag holds %d, want 0 or 1", b)
		}
		return b == 1, nil
	case bool:
		return b, nil
	}
	return nil, fmt.Errorf("flag holds a %T, want 0 or 1", v)
}

// fixSequences moves each identity column's sequence past the highest
// copied value: rows were copied with their IDs, which a sequence does
// not see.
func fixSequences(ctx context.Context, tx pgx.Tx, table string) error {
	cols, err := pgStrings(ctx, tx, `SELECT column_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1
		AND pg_get_serial_sequence(quote_ident(table_name), column_name) IS NOT NULL`, table)
	if err != nil {
		return fmt.Errorf("finding sequences of %s: %w", table, err)
	}
	qt := pgx.Identifier{table}.Sanitize()
	for _, col := range cols {
		qc := pgx.Identifier{col}.Sanitize()
		// setval(seq, max, true) makes the next value max+1; an empty table
		// keeps its sequence at the start (setval(seq, 1, false)).
		_, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence($1, $2),
			COALESCE((SELECT MAX(`+qc+`) FROM `+qt+`), 1), (SELECT MAX(`+qc+`) FROM `+qt+`) IS NOT NULL)`,
			qt, col)
		if err != nil {
			return fmt.Errorf("moving the sequence of %s.%s: %w", table, col, err)
		}
	}
	return nil
}

// verifyCounts checks every copied table holds as many rows as the
// source's, counted in the source's snapshot.
func verifyCounts(ctx context.Context, stx *sql.Tx, tx pgx.Tx, counts []TableCount) error {
	var errs []error
	for _, c := range counts {
		var want, got int64
		if err := stx.QueryRowContext(ctx, `SELECT COUNT(*) FROM "`+strings.ReplaceAll(c.Table, `"`, `""`)+`"`).Scan(&want); err != nil {
			return fmt.Errorf("counting %s in the source: %w", c.Table, err)
		}
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM `+pgx.Identifier{c.Table}.Sanitize()).Scan(&got); err != nil {
			return fmt.Errorf("counting %s in the target: %w", c.Table, err)
		}
		if got != want || c.Rows != want {
			errs = append(errs, fmt.Errorf("table %s: the source has %d rows, %d were copied and the target has %d", c.Table, want, c.Rows, got))
		}
	}
	return errors.Join(errs...)
}

func sqlStrings(ctx context.Context, stx *sql.Tx, query string) ([]string, error) {
	rows, err := stx.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func pgStrings(ctx context.Context, tx pgx.Tx, query string, args ...any) ([]string, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// setMinus returns the members of a not in b, sorted.
func setMinus(a, b []string) []string {
	in := make(map[string]bool, len(b))
	for _, s := range b {
		in[s] = true
	}
	out := map[string]bool{}
	for _, s := range a {
		if !in[s] {
			out[s] = true
		}
	}
	return slices.Sorted(maps.Keys(out))
}
