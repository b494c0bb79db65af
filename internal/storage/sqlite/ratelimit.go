package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/quarry-ca/quarry/internal/ratelimit"
)

var _ ratelimit.Store = (*Store)(nil)

// sweepBuckets bounds how many passed buckets one update deletes, so the
// table stays as large as the buckets in use without any update paying
// for a long backlog.
const sweepBuckets = 64

// UpdateRateLimits implements ratelimit.Store. The transaction is
// immediate: it holds the database's write lock from the first read, so it
// is serialized with every other writer, in this process or another.
func (s *Store) UpdateRateLimits(ctx context.Context, keys []string, now time.Time,
	apply func(tats map[string]time.Time) (map[string]time.Time, error)) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		tats, err := readBuckets(ctx, tx, keys)
		if err != nil {
			return err
		}
		next, err := apply(tats)
		if err != nil {
			return err // apply's own error, unwrapped, as the contract says
		}
		cutoff := now.UnixNano()
		for k, t := range next {
			if t.UnixNano() > cutoff {
				_, err = tx.ExecContext(ctx, `INSERT INTO rate_limit_buckets (key, tat) VALUES (?, ?)
					ON CONFLICT (key) DO UPDATE SET tat = excluded.tat`, k, t.UnixNano())
			} else {
				_, err = tx.ExecContext(ctx, `DELETE FROM rate_limit_buckets WHERE key = ?`, k)
			}
			if err != nil {
				return fmt.Errorf("writing rate limit bucket: %w", err)
			}
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM rate_limit_buckets WHERE key IN
			(SELECT key FROM rate_limit_buckets WHERE tat <= ? LIMIT ?)`, cutoff, sweepBuckets)
		if err != nil {
			return fmt.Errorf("sweeping rate limit buckets: %w", err)
		}
		return nil
	})
}

func readBuckets(ctx context.Context, tx *sql.Tx, keys []string) (map[string]time.Time, error) {
	tats := make(map[string]time.Time, len(keys))
	if len(keys) == 0 {
		return tats, nil
	}
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	q := `SELECT key, tat FROM rate_limit_buckets WHERE key IN (?` + strings.Repeat(", ?", len(keys)-1) + `)`
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("reading rate limit buckets: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			k   string
			tat int64
		)
		if err := rows.Scan(&k, &tat); err != nil {
			return nil, fmt.Errorf("reading rate limit bucket: %w", err)
		}
		tats[k] = time.Unix(0, tat).UTC()
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading rate limit buckets: %w", err)
	}
	return tats, nil
}
