package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// InFlight lists authorizations with a challenge in processing and orders
// in processing.
func (s *Store) InFlight(ctx context.Context) (authzIDs, orderIDs []int64, err error) {
	err = s.read(ctx, func(tx pgx.Tx) error {
		if authzIDs, err = collectIDs(tx.Query(ctx, `SELECT DISTINCT authz_id FROM challenges
			WHERE status = 'processing' ORDER BY authz_id`)); err != nil {
			return fmt.Errorf("listing in-flight work: %w", err)
		}
		if orderIDs, err = collectIDs(tx.Query(ctx, `SELECT id FROM orders WHERE status = 'processing' ORDER BY id`)); err != nil {
			return fmt.Errorf("listing in-flight work: %w", err)
		}
		return nil
	})
	return authzIDs, orderIDs, err
}
