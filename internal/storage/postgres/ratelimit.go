package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/quarry-ca/quarry/internal/ratelimit"
)

var _ ratelimit.Store = (*Store)(nil)

// sweepBuckets bounds how many passed buckets one update deletes.
const sweepBuckets = 64

// UpdateRateLimits implements ratelimit.Store. Every bucket row is created
// if missing and then locked FOR UPDATE in sorted key order before apply
// sees it, so concurrent updates of the same buckets on any instance are
// serialized and cannot deadlock.
func (s *Store) UpdateRateLimits(ctx context.Context, keys []string, now time.Time,
	apply func(tats map[string]time.Time) (map[string]time.Time, error)) error {
	return s.write(ctx, func(tx pgx.Tx) error {
		cutoff := now.UnixNano()
		tats := make(map[string]time.Time, len(keys))
		if len(keys) > 0 {
			// A placeholder row (tat 0, already passed) gives a lock to take
			// even for a bucket nobody has spent from yet.
			if _, err := tx.Exec(ctx, `INSERT INTO rate_limit_buckets (key, tat)
				SELECT k, 0 FROM unnest($1::text[]) AS k ORDER BY k
				ON CONFLICT (key) DO NOTHING`, keys); err != nil {
				return fmt.Errorf("creating rate limit buckets: %w", err)
			}
			rows, err := tx.Query(ctx, `SELECT key, tat FROM rate_limit_buckets
				WHERE key = ANY($1::text[]) ORDER BY key FOR UPDATE`, keys)
			if err != nil {
				return fmt.Errorf("reading rate limit buckets: %w", err)
			}
			for rows.Next() {
				var (
					k   string
					tat int64
				)
				if err := rows.Scan(&k, &tat); err != nil {
					rows.Close()
					return fmt.Errorf("reading rate limit bucket: %w", err)
				}
				if tat > cutoff {
					tats[k] = time.Unix(0, tat).UTC()
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("reading rate limit buckets: %w", err)
			}
		}
		next, err := apply(tats)
		if err != nil {
			return err // apply's own error, unwrapped, as the contract says
		}
		for k, t := range next {
			if _, err := tx.Exec(ctx, `INSERT INTO rate_limit_buckets (key, tat) VALUES ($1, $2)
				ON CONFLICT (key) DO UPDATE SET tat = excluded.tat`, k, t.UnixNano()); err != nil {
				return fmt.Errorf("writing rate limit bucket: %w", err)
			}
		}
		// SKIP LOCKED leaves buckets other updates hold alone, so sweeping
		// never waits on them or deadlocks with them.
		if _, err := tx.Exec(ctx, `DELETE FROM rate_limit_buckets WHERE key IN
			(SELECT key FROM rate_limit_buckets WHERE tat <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
			cutoff, sweepBuckets); err != nil {
			return fmt.Errorf("sweeping rate limit buckets: %w", err)
		}
		return nil
	})
}
