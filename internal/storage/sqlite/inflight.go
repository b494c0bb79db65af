package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// InFlight lists authorizations with a challenge in processing and orders
// in processing.
func (s *Store) InFlight(ctx context.Context) (authzIDs, orderIDs []int64, err error) {
	err = s.read(ctx, func(tx *sql.Tx) error {
		if authzIDs, err = ids(ctx, tx, `SELECT DISTINCT authz_id FROM challenges WHERE status = 'processing' ORDER BY authz_id`); err != nil {
			return err
		}
		orderIDs, err = ids(ctx, tx, `SELECT id FROM orders WHERE status = 'processing' ORDER BY id`)
		return err
	})
	return authzIDs, orderIDs, err
}

func ids(ctx context.Context, tx *sql.Tx, query string) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("listing in-flight work: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("reading in-flight work: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
