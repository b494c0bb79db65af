package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// StartChallenge marks a pending challenge processing. It is
// core.ErrConflict unless its authorization is pending and no other of
// the authorization's challenges has been attempted: one authorization
// has one validation in flight, so two outcomes never race to set it.
func (s *Store) StartChallenge(ctx context.Context, challengeID int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE challenges SET status = 'processing'
			WHERE id = ? AND status = 'pending'
			AND EXISTS (SELECT 1 FROM authzs WHERE authzs.id = challenges.authz_id AND authzs.status = 'pending')
			AND NOT EXISTS (SELECT 1 FROM challenges other
				WHERE other.authz_id = challenges.authz_id AND other.status != 'pending')`, challengeID)
		if err != nil {
			return fmt.Errorf("starting challenge %d: %w", challengeID, err)
		}
		if ok, err := changedOne(res); err != nil || ok {
			return err
		}
		var status string
		err = tx.QueryRowContext(ctx, `SELECT status FROM challenges WHERE id = ?`, challengeID).Scan(&status)
		if errors.Is(err, sql.ErrNoRows) {
			return core.Errorf(core.ErrNotFound, "no challenge %d", challengeID)
		} else if err != nil {
			return fmt.Errorf("reading challenge %d: %w", challengeID, err)
		}
		return core.Errorf(core.ErrConflict, "challenge %d is %s and its authorization is no longer open to validation", challengeID, status)
	})
}

// FinishChallenge records a validation outcome: chall's status, error,
// records and validated time, and authz's status and, when it became
// valid, its new expiry. The authorization must still be pending and the
// challenge pending or processing, else core.ErrConflict and nothing
// changes: a deactivation during validation stands.
func (s *Store) FinishChallenge(ctx context.Context, authz *core.Authorization, chall *core.Challenge) error {
	var e encoder
	challArgs := []any{string(chall.Status), e.problem(chall.Error), e.json(nonNil(chall.Records)),
		e.time(chall.Validated), chall.ID, authz.ID}
	var expires any
	if authz.Status == acme.StatusValid {
		expires = e.time(authz.Expires)
	}
	if e.err != nil {
		return fmt.Errorf("recording validation: %w", e.err)
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE challenges SET status = ?, error = ?, records = ?, validated = ?
			WHERE id = ? AND authz_id = ? AND status IN ('pending', 'processing')`, challArgs...)
		if err != nil {
			return fmt.Errorf("recording challenge %d: %w", chall.ID, err)
		}
		if ok, err := changedOne(res); err != nil {
			return err
		} else if !ok {
			return whyUnchanged(ctx, tx, "challenge", `SELECT status FROM challenges WHERE id = ?`, chall.ID)
		}
		res, err = tx.ExecContext(ctx, `UPDATE authzs SET status = ?, expires = COALESCE(?, expires)
			WHERE id = ? AND status = 'pending'`, string(authz.Status), expires, authz.ID)
		if err != nil {
			return fmt.Errorf("recording authorization %d: %w", authz.ID, err)
		}
		if ok, err := changedOne(res); err != nil || ok {
			return err
		}
		return whyUnchanged(ctx, tx, "authorization", `SELECT status FROM authzs WHERE id = ?`, authz.ID)
	})
}
