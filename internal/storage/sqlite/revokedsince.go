package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// revokedSinceQuery is answered from the covering index
// certificates_by_revoked_at alone (migration 0050).
const revokedSinceQuery = `SELECT issuer_id, shard, serial, revoked_at FROM certificates WHERE revoked_at > ?`

// RevokedSince streams the certificates revoked after since, from the
// covering index certificates_by_revoked_at, in one snapshot.
func (s *Store) RevokedSince(ctx context.Context, since time.Time,
	fn func(issuerID string, shard int, serial string, revokedAt time.Time) error) error {
	if since.IsZero() {
		since = time.Unix(0, 0) // the zero time encodes as NULL, which matches nothing
	}
	var e encoder
	after := e.time(since)
	if e.err != nil {
		return e.err
	}
	return s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, revokedSinceQuery, after)
		if err != nil {
			return fmt.Errorf("listing revocations since %v: %w", since, err)
		}
		defer rows.Close()
		var (
			issuerID, serial string
			shard            int
			revokedAt        sql.NullInt64
		)
		for rows.Next() {
			if err := rows.Scan(&issuerID, &shard, &serial, &revokedAt); err != nil {
				return fmt.Errorf("reading revocation: %w", err)
			}
			if err := fn(issuerID, shard, serial, timeFrom(revokedAt)); err != nil {
				return err
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("listing revocations since %v: %w", since, err)
		}
		return nil
	})
}
