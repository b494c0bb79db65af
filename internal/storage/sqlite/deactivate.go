package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// DeactivateAuthorization moves a pending or valid authorization to
// deactivated; core.ErrConflict otherwise.
func (s *Store) DeactivateAuthorization(ctx context.Context, id int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE authzs SET status = 'deactivated'
			WHERE id = ? AND status IN ('pending', 'valid')`, id)
		if err != nil {
			return fmt.Errorf("deactivating authorization %d: %w", id, err)
		}
		if ok, err := changedOne(res); err != nil || ok {
			return err
		}
		return whyUnchanged(ctx, tx, "authorization", `SELECT status FROM authzs WHERE id = ?`, id)
	})
}

// DeactivateAccountAuthorizations deactivates every pending and valid
// authorization of an account, in one statement.
func (s *Store) DeactivateAccountAuthorizations(ctx context.Context, accountID int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE authzs SET status = 'deactivated'
			WHERE account_id = ? AND status IN ('pending', 'valid')`, accountID)
		if err != nil {
			return fmt.Errorf("deactivating authorizations of account %d: %w", accountID, err)
		}
		return nil
	})
}
