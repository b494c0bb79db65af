package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
)

func openCaching(t *testing.T) *sql.DB {
	t.Helper()
	db, err := openDB("file:" + filepath.Join(t.TempDir(), "c.db") + "?_journal_mode=WAL")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// cached is how many statements the pool's one connection holds.
func cached(t *testing.T, db *sql.DB) int {
	t.Helper()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	n := -1
	if err := conn.Raw(func(c any) error { n = len(c.(*cachingConn).stmts); return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestStmtCache(t *testing.T) {
	ctx := context.Background()
	db := openCaching(t)
	// A script is run whole, never cut to its first statement.
	if _, err := db.ExecContext(ctx, `CREATE TABLE a (x INTEGER); CREATE TABLE b (y INTEGER);`); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := db.ExecContext(ctx, `INSERT INTO a (x) VALUES (?)`, i); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO b (y) VALUES (?)`, i*10); err != nil {
			t.Fatal(err)
		}
	}
	if got := cached(t, db); got != 2 {
		t.Errorf("got %d cached statements after two queries run five times each, want 2", got)
	}

	// The same query again while its rows are open gets its own statement.
	const q = `SELECT x FROM a WHERE x >= ? ORDER BY x`
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	outer, err := tx.QueryContext(ctx, q, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for outer.Next() {
		var x int
		if err := outer.Scan(&x); err != nil {
			t.Fatal(err)
		}
		var inner int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM (`+q+`)`, x).Scan(&inner); err != nil {
			t.Fatal(err)
		}
		var same int
		if err := tx.QueryRowContext(ctx, q, x).Scan(&same); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d:%d:%d", x, inner, same))
	}
	if err := outer.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	want := "[0:5:0 1:4:1 2:3:2 3:2:3 4:1:4]"
	if fmt.Sprint(got) != want {
		t.Errorf("got %v, want %s", got, want)
	}

	// A schema change under cached statements: SQLite prepares them again.
	if _, err := db.ExecContext(ctx, `ALTER TABLE a ADD COLUMN z TEXT NOT NULL DEFAULT 'z'`); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM (`+q+`)`, 2).Scan(&n); err != nil || n != 3 {
		t.Errorf("got %d, %v after ALTER TABLE; want 3", n, err)
	}
	var z string
	if err := db.QueryRowContext(ctx, `SELECT z FROM a WHERE x = ?`, 1).Scan(&z); err != nil || z != "z" {
		t.Errorf("got %q, %v for the new column, want z", z, err)
	}
	// A failing query leaves its statement usable.
	if _, err := db.ExecContext(ctx, `INSERT INTO a (x, z) VALUES (?, NULL)`, 9); err == nil {
		t.Error("got no error inserting NULL into a NOT NULL column, want one")
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO a (x, z) VALUES (?, NULL)`, 9); err == nil {
		t.Error("got no error the second time, want one")
	}
}

func TestCacheable(t *testing.T) {
	tests := []struct {
		q    string
		want bool
	}{
		{"SELECT 1", true},
		{"SELECT 1;", true},
		{"SELECT 1;\n  ", true},
		{"CREATE TABLE a (x); CREATE TABLE b (y)", false},
		{"SELECT ';'", false}, // refused to be safe: a literal is not parsed
	}
	for _, tt := range tests {
		if got := cacheable(tt.q); got != tt.want {
			t.Errorf("cacheable(%q) = %v, want %v", tt.q, got, tt.want)
		}
	}
}
