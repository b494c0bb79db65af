package sqlite_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/internal/ratelimit"
	"github.com/quarry-ca/quarry/internal/ratelimit/ratelimittest"
)

// The rate-limit store suite runs over separate Store handles on one file,
// as two quarry processes sharing a database would.
func TestRateLimitStore(t *testing.T) {
	ratelimittest.Run(t, func(t *testing.T, n int) []ratelimit.Store {
		path := filepath.Join(t.TempDir(), "quarry.db")
		out := make([]ratelimit.Store, n)
		for i := range out {
			out[i] = open(t, path)
		}
		return out
	})
}

// Buckets whose time has passed are swept a batch at a time as updates
// arrive, so the table holds only buckets in use.
func TestRateLimitSweep(t *testing.T) {
	path := filepath.Join(t.TempDir(), "quarry.db")
	s := open(t, path)
	base := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	keys := make([]string, 100)
	tats := map[string]time.Time{}
	for i := range keys {
		keys[i] = fmt.Sprintf("k%03d", i)
		tats[keys[i]] = base.Add(time.Minute)
	}
	write := func(now time.Time, keys []string, next map[string]time.Time) {
		t.Helper()
		err := s.UpdateRateLimits(t.Context(), keys, now, func(map[string]time.Time) (map[string]time.Time, error) { return next, nil })
		if err != nil {
			t.Fatal(err)
		}
	}
	count := func() int {
		t.Helper()
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var n int
		if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM rate_limit_buckets`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	write(base, keys, tats)
	if got := count(); got != 100 {
		t.Fatalf("after writing 100 live buckets: got %d rows, want 100", got)
	}
	later := base.Add(2 * time.Minute)
	write(later, []string{"fresh"}, map[string]time.Time{"fresh": later.Add(time.Minute)})
	if got := count(); got != 100-64+1 {
		t.Fatalf("after one update past their time: got %d rows, want %d (64 swept, one new)", got, 100-64+1)
	}
	write(later, nil, nil)
	if got := count(); got != 1 {
		t.Fatalf("after a second update: got %d rows, want only the live one", got)
	}
}
