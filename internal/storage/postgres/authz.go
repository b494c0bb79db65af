package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/storage/sqlbase"
)

// insertAuthz inserts az and its challenges, returning their new IDs.
func insertAuthz(ctx context.Context, tx pgx.Tx, az *core.Authorization) (int64, []int64, error) {
	var e sqlbase.Encoder
	expires := e.Time(az.Expires)
	if e.Err != nil {
		return 0, nil, fmt.Errorf("storing authorization: %w", e.Err)
	}
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO authzs
		(account_id, identifier_type, identifier_value, wildcard, status, expires) VALUES ($1, $2, $3, $4, $5, $6)
		RETURNING id`,
		az.AccountID, string(az.Identifier.Type), az.Identifier.Value, az.Wildcard, string(az.Status), expires).Scan(&id)
	if isForeignKeyViolation(err) {
		return 0, nil, core.Errorf(core.ErrNotFound, "no account %d", az.AccountID)
	} else if err != nil {
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

func insertChallenge(ctx context.Context, tx pgx.Tx, authzID int64, ch *core.Challenge) (int64, error) {
	var e sqlbase.Encoder
	args := []any{authzID, string(ch.Type), string(ch.Status), ch.Token, e.Time(ch.Validated),
		e.Problem(ch.Error), e.JSON(sqlbase.NonNil(ch.Records))}
	if e.Err != nil {
		return 0, fmt.Errorf("storing challenge: %w", e.Err)
	}
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO challenges (authz_id, type, status, token, validated, error, records)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, args...).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("inserting challenge: %w", err)
	}
	return id, nil
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
	var found []*core.Authorization
	err := s.read(ctx, func(tx pgx.Tx) error {
		var err error
		found, err = loadAuthzs(ctx, tx, `id = ANY($1)`, ids)
		return err
	})
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
	var e sqlbase.Encoder
	at := e.Time(now)
	if e.Err != nil {
		return nil, e.Err
	}
	var found []*core.Authorization
	err := s.read(ctx, func(tx pgx.Tx) error {
		var err error
		found, err = loadAuthzs(ctx, tx, `account_id = $1 AND identifier_type = $2 AND identifier_value = $3
			AND wildcard = $4 AND status = $5 AND expires > $6 ORDER BY expires DESC LIMIT 1`,
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

// loadAuthzs returns the authorizations matching where (the rest of a
// query on authzs, ordering included) with their challenges attached.
func loadAuthzs(ctx context.Context, tx pgx.Tx, where string, args ...any) ([]*core.Authorization, error) {
	rows, err := tx.Query(ctx, `SELECT id, account_id, identifier_type, identifier_value, wildcard,
		status, expires FROM authzs WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("reading authorizations: %w", err)
	}
	defer rows.Close()
	var (
		out []*core.Authorization
		ids []int64
	)
	for rows.Next() {
		var (
			az          core.Authorization
			typ, status string
			expires     sql.NullInt64
		)
		if err := rows.Scan(&az.ID, &az.AccountID, &typ, &az.Identifier.Value, &az.Wildcard, &status, &expires); err != nil {
			return nil, fmt.Errorf("reading authorization: %w", err)
		}
		az.Identifier.Type, az.Status, az.Expires = acme.IdentifierType(typ), acme.Status(status), sqlbase.TimeFrom(expires)
		out = append(out, &az)
		ids = append(ids, az.ID)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading authorizations: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	if err := attachChallenges(ctx, tx, out, ids); err != nil {
		return nil, err
	}
	return out, nil
}

// attachChallenges loads the challenges of azs (whose IDs are ids) in ID
// order and appends each to its authorization.
func attachChallenges(ctx context.Context, tx pgx.Tx, azs []*core.Authorization, ids []int64) error {
	rows, err := tx.Query(ctx, `SELECT id, authz_id, type, status, token, validated, error, records
		FROM challenges WHERE authz_id = ANY($1) ORDER BY id`, ids)
	if err != nil {
		return fmt.Errorf("reading challenges: %w", err)
	}
	defer rows.Close()
	byID := make(map[int64]*core.Authorization, len(azs))
	for _, az := range azs {
		byID[az.ID] = az
	}
	for rows.Next() {
		ch, err := scanChallenge(rows)
		if err != nil {
			return err
		}
		if az := byID[ch.AuthzID]; az != nil {
			az.Challenges = append(az.Challenges, ch)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading challenges: %w", err)
	}
	return nil
}

func scanChallenge(rows pgx.Rows) (*core.Challenge, error) {
	var (
		ch                core.Challenge
		typ, status       string
		validated         sql.NullInt64
		challErr, records sql.NullString
	)
	if err := rows.Scan(&ch.ID, &ch.AuthzID, &typ, &status, &ch.Token, &validated, &challErr, &records); err != nil {
		return nil, fmt.Errorf("reading challenge: %w", err)
	}
	ch.Type, ch.Status, ch.Validated = acme.ChallengeType(typ), acme.Status(status), sqlbase.TimeFrom(validated)
	var err error
	if ch.Error, err = sqlbase.ProblemFrom(challErr); err != nil {
		return nil, err
	}
	if err := sqlbase.JSONFrom(records, &ch.Records); err != nil {
		return nil, err
	}
	if len(ch.Records) == 0 {
		ch.Records = nil
	}
	return &ch, nil
}
