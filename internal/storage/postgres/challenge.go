package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/storage/sqlbase"
)

// lockAuthzOfChallenge locks the authorization a challenge belongs to and
// returns its ID and status. Every change to an authorization's challenges
// takes this lock first: two instances starting different challenges of
// one authorization would otherwise each see the other's still pending,
// and lock order (authorization, then challenge) rules out deadlocks. It
// is the lock an UPDATE takes (NO KEY UPDATE), so new orders may still
// refer to the authorization meanwhile.
func lockAuthzOfChallenge(ctx context.Context, tx pgx.Tx, challengeID int64) (int64, string, error) {
	var (
		authzID int64
		status  string
	)
	err := tx.QueryRow(ctx, `SELECT a.id, a.status FROM authzs a
		WHERE a.id = (SELECT authz_id FROM challenges WHERE id = $1) FOR NO KEY UPDATE`, challengeID).Scan(&authzID, &status)
	if noRows(err) {
		return 0, "", core.Errorf(core.ErrNotFound, "no challenge %d", challengeID)
	} else if err != nil {
		return 0, "", fmt.Errorf("locking the authorization of challenge %d: %w", challengeID, err)
	}
	return authzID, status, nil
}

// StartChallenge marks a pending challenge processing. It is
// core.ErrConflict unless its authorization is pending and no other of
// the authorization's challenges has been attempted: one authorization
// has one validation in flight, so two outcomes never race to set it.
func (s *Store) StartChallenge(ctx context.Context, challengeID int64) error {
	return s.write(ctx, func(tx pgx.Tx) error {
		if _, _, err := lockAuthzOfChallenge(ctx, tx, challengeID); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE challenges SET status = 'processing'
			WHERE id = $1 AND status = 'pending'
			AND EXISTS (SELECT 1 FROM authzs WHERE authzs.id = challenges.authz_id AND authzs.status = 'pending')
			AND NOT EXISTS (SELECT 1 FROM challenges other
				WHERE other.authz_id = challenges.authz_id AND other.status != 'pending')`, challengeID)
		if err != nil {
			return fmt.Errorf("starting challenge %d: %w", challengeID, err)
		}
		if tag.RowsAffected() > 0 {
			return nil
		}
		var status string
		err = tx.QueryRow(ctx, `SELECT status FROM challenges WHERE id = $1`, challengeID).Scan(&status)
		if noRows(err) {
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
	var e sqlbase.Encoder
	challArgs := []any{string(chall.Status), e.Problem(chall.Error), e.JSON(sqlbase.NonNil(chall.Records)),
		e.Time(chall.Validated), chall.ID, authz.ID}
	var expires any
	if authz.Status == acme.StatusValid {
		expires = e.Time(authz.Expires)
	}
	if e.Err != nil {
		return fmt.Errorf("recording validation: %w", e.Err)
	}
	return s.write(ctx, func(tx pgx.Tx) error {
		// Lock the authorization first, as StartChallenge does.
		_, err := tx.Exec(ctx, `SELECT 1 FROM authzs WHERE id = $1 FOR NO KEY UPDATE`, authz.ID)
		if err != nil {
			return fmt.Errorf("locking authorization %d: %w", authz.ID, err)
		}
		tag, err := tx.Exec(ctx, `UPDATE challenges SET status = $1, error = $2, records = $3, validated = $4
			WHERE id = $5 AND authz_id = $6 AND status IN ('pending', 'processing')`, challArgs...)
		if err != nil {
			return fmt.Errorf("recording challenge %d: %w", chall.ID, err)
		}
		if tag.RowsAffected() == 0 {
			return whyUnchanged(ctx, tx, "challenge", `SELECT status FROM challenges WHERE id = $1`, chall.ID)
		}
		tag, err = tx.Exec(ctx, `UPDATE authzs SET status = $1, expires = COALESCE($2, expires)
			WHERE id = $3 AND status = 'pending'`, string(authz.Status), expires, authz.ID)
		if err != nil {
			return fmt.Errorf("recording authorization %d: %w", authz.ID, err)
		}
		if tag.RowsAffected() > 0 {
			return nil
		}
		return whyUnchanged(ctx, tx, "authorization", `SELECT status FROM authzs WHERE id = $1`, authz.ID)
	})
}
