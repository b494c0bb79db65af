package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// DeactivateAuthorization moves a pending or valid authorization to
// deactivated; core.ErrConflict otherwise.
func (s *Store) DeactivateAuthorization(ctx context.Context, id int64) error {
	return s.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE authzs SET status = 'deactivated'
			WHERE id = $1 AND status IN ('pending', 'valid')`, id)
		if err != nil {
			return fmt.Errorf("deactivating authorization %d: %w", id, err)
		}
		if tag.RowsAffected() > 0 {
			return nil
		}
		return whyUnchanged(ctx, tx, "authorization", `SELECT status FROM authzs WHERE id = $1`, id)
	})
}

// DeactivateAccountAuthorizations deactivates every pending and valid
// authorization of an account, in one statement. It locks the rows in ID
// order, so two of these for one account wait for each other instead of
// deadlocking.
func (s *Store) DeactivateAccountAuthorizations(ctx context.Context, accountID int64) error {
	_, err := s.pool.Exec(ctx, `UPDATE authzs SET status = 'deactivated'
		WHERE id IN (SELECT id FROM authzs WHERE account_id = $1 AND status IN ('pending', 'valid')
			ORDER BY id FOR NO KEY UPDATE)
		AND status IN ('pending', 'valid')`, accountID)
	if err != nil {
		return fmt.Errorf("deactivating authorizations of account %d: %w", accountID, err)
	}
	return nil
}
