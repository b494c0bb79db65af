package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// insertAuthz inserts az and its challenges, returning their new IDs.
func insertAuthz(ctx context.Context, tx *sql.Tx, az *core.Authorization) (int64, []int64, error) {
	var e encoder
	expires := e.time(az.Expires)
	if e.err != nil {
		return 0, nil, fmt.Errorf("storing authorization: %w", e.err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO authzs
		(account_id, identifier_type, identifier_value, wildcard, status, expires) VALUES (?, ?, ?, ?, ?, ?)`,
		az.AccountID, string(az.Identifier.Type), az.Identifier.Value, az.Wildcard, string(az.Status), expires)
	if isForeignKeyViolation(err) {
		return 0, nil, core.Errorf(core.ErrNotFound, "no account %d", az.AccountID)
	} else if err != nil {
		return 0, nil, fmt.Errorf("inserting authorization: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return 0, nil, fmt.Errorf("inserting authorization: %w", err)
	}
	challIDs := make([]int64, len(az.Challenges))
	for i, ch := range az.Challenges {
		if challIDs[i], err = insertChallenge(ctx, tx, id, ch); err != nil {
			return 0, nil, err
		}
	}
	return id, challIDs, nil
}

func insertChallenge(ctx context.Context, tx *sql.Tx, authzID int64, ch *core.Challenge) (int64, error) {
	var e encoder
	args := []any{authzID, string(ch.Type), string(ch.Status), ch.Token, e.time(ch.Validated),
		e.problem(ch.Error), e.json(nonNil(ch.Records))}
	if e.err != nil {
		return 0, fmt.Errorf("storing challenge: %w", e.err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO challenges (authz_id, type, status, token, validated, error, records)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, args...)
	if err != nil {
		return 0, fmt.Errorf("inserting challenge: %w", err)
	}
	return res.LastInsertId()
}

// GetAuthorization returns the authorization with id and its challenges,
// ordered by ID.
func (s *Store) GetAuthorization(ctx context.Context, id int64) (*core.Authorization, error) {
	azs, err := s.GetAuthorizations(ctx, []int64{id})
	if err != nil {
		return nil, err
	}
	return azs[0], nil
}

// GetAuthorizations returns the authorizations with ids, in the order of
// ids; core.ErrNotFound when any is missing.
func (s *Store) GetAuthorizations(ctx context.Context, ids []int64) ([]*core.Authorization, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	found, err := s.loadAuthzsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*core.Authorization, len(found))
	for _, az := range found {
		byID[az.ID] = az
	}
	out := make([]*core.Authorization, len(ids))
	for i, id := range ids {
		if out[i] = byID[id]; out[i] == nil {
			return nil, core.Errorf(core.ErrNotFound, "no authorization %d", id)
		}
	}
	return out, nil
}

// FindValidAuthorization returns the account's valid authorization for the
// identifier and wildcard flag that expires last after now.
func (s *Store) FindValidAuthorization(ctx context.Context, accountID int64, id acme.Identifier, wildcard bool, now time.Time) (*core.Authorization, error) {
	return s.findAuthz(ctx, accountID, id, wildcard, acme.StatusValid, now)
}

// FindPendingAuthorization is FindValidAuthorization for pending ones.
func (s *Store) FindPendingAuthorization(ctx context.Context, accountID int64, id acme.Identifier, wildcard bool, now time.Time) (*core.Authorization, error) {
	return s.findAuthz(ctx, accountID, id, wildcard, acme.StatusPending, now)
}

func (s *Store) findAuthz(ctx context.Context, accountID int64, id acme.Identifier, wildcard bool, status acme.Status, now time.Time) (*core.Authorization, error) {
	var e encoder
	at := e.time(now)
	if e.err != nil {
		return nil, e.err
	}
	var found []*core.Authorization
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		found, err = loadAuthzs(ctx, tx, `account_id = ? AND identifier_type = ? AND identifier_value = ?
			AND wildcard = ? AND status = ? AND expires > ? ORDER BY expires DESC LIMIT 1`,
			accountID, string(id.Type), id.Value, wildcard, string(status), at)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, core.Errorf(core.ErrNotFound, "no %s authorization for %s", status, id.Value)
	}
	return found[0], nil
}
