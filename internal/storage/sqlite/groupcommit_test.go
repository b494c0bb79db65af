package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func newTestCommitter(t *testing.T) (*committer, *sql.DB) {
	t.Helper()
	db, err := openDB("file:" + filepath.Join(t.TempDir(), "g.db") + "?" + writerParams)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	c := newCommitter(db)
	t.Cleanup(func() { c.close(); db.Close() })
	return c, db
}

func insert(k string, v int) func(tx *sql.Tx) error {
	return func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO kv (k, v) VALUES (?, ?)`, k, v)
		return err
	}
}

func keys(t *testing.T, db *sql.DB) map[string]int {
	t.Helper()
	rows, err := db.Query(`SELECT k, v FROM kv`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var v int
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		out[k] = v
	}
	return out
}

// TestGroupCommitIsolatesFailures: in one batch, a transaction that fails
// after writing leaves nothing behind, and the others commit.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	c, db := newTestCommitter(t)
	ctx := context.Background()
	// Hold the committer so the next writes queue up and share a batch.
	release := make(chan struct{})
	held := make(chan error, 1)
	go func() {
		held <- c.do(ctx, func(tx *sql.Tx) error { <-release; return insert("first", 0)(tx) })
	}()
	boom := errors.New("boom")
	writes := []struct {
		name string
		f    func(tx *sql.Tx) error
		want error
	}{
		{name: "a", f: insert("a", 1), want: errEither},
		{name: "b fails after writing", f: func(tx *sql.Tx) error {
			if err := insert("b", 2)(tx); err != nil {
				return err
			}
			return boom
		}, want: boom},
		{name: "c", f: insert("c", 3)},
		{name: "d panics after writing", f: func(tx *sql.Tx) error {
			if err := insert("d", 5)(tx); err != nil {
				return err
			}
			panic("bug")
		}, want: errPanicked},
		{name: "a again", f: insert("a", 4), want: errEither},
	}
	results := make([]error, len(writes))
	var wg sync.WaitGroup
	for i, w := range writes {
		wg.Go(func() { results[i] = c.do(ctx, w.f) })
	}
	close(release)
	wg.Wait()
	if err := <-held; err != nil {
		t.Fatalf("first write: %v", err)
	}
	either := 0
	for i, w := range writes {
		switch {
		case w.want == errEither:
			if results[i] == nil {
				either++
			}
		case w.want == nil && results[i] != nil:
			t.Errorf("%s: got %v, want success", w.name, results[i])
		case w.want == errPanicked:
			if results[i] == nil || !strings.Contains(results[i].Error(), "panicked: bug") {
				t.Errorf("%s: got %v, want the panic as an error", w.name, results[i])
			}
		case w.want != nil && !errors.Is(results[i], w.want):
			t.Errorf("%s: got %v, want %v", w.name, results[i], w.want)
		}
	}
	if either != 1 {
		t.Errorf("got %d of the two inserts of a committed, want exactly 1", either)
	}
	got := fmt.Sprint(keys(t, db))
	// Which of the two inserts of "a" ran first is up to the scheduler.
	if got != "map[a:1 c:3 first:0]" && got != "map[a:4 c:3 first:0]" {
		t.Errorf("got rows %s, want first, a and c, and no b or d", got)
	}
}

// errPanicked marks a transaction that panics: its caller gets an error.
var errPanicked = errors.New("panicked")

// errEither marks the two inserts of one key: whichever runs first
// commits and the other fails, in an order the scheduler picks.
var errEither = errors.New("one of two")

func TestGroupCommitConcurrent(t *testing.T) {
	c, db := newTestCommitter(t)
	const n = 300
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs <- c.do(context.Background(), insert(fmt.Sprintf("k%d", i%(n/2)), i)) })
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if err != nil {
			failed++
		}
	}
	if got := len(keys(t, db)); got != n/2 || failed != n/2 {
		t.Errorf("got %d rows and %d failed writes, want %d and %d (each key once)", got, failed, n/2, n/2)
	}
}

func TestGroupCommitCanceledAndClosed(t *testing.T) {
	c, db := newTestCommitter(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.do(ctx, insert("x", 1)); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v for a canceled context, want context.Canceled", err)
	}
	c.close()
	if err := c.do(context.Background(), insert("y", 1)); !errors.Is(err, errClosed) {
		t.Errorf("got %v after close, want errClosed", err)
	}
	c.close() // a second close is harmless
	if got := len(keys(t, db)); got != 0 {
		t.Errorf("got %d rows, want none", got)
	}
}
