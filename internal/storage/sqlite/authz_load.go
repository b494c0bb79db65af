package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// loadAuthzs returns the authorizations matching where (the rest of a
// query on authzs, ordering included) with their challenges attached.
func loadAuthzs(ctx context.Context, tx *sql.Tx, where string, args ...any) ([]*core.Authorization, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, account_id, identifier_type, identifier_value, wildcard,
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
		az.Identifier.Type, az.Status, az.Expires = acme.IdentifierType(typ), acme.Status(status), timeFrom(expires)
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
func attachChallenges(ctx context.Context, tx *sql.Tx, azs []*core.Authorization, ids []int64) error {
	var e encoder
	idList := e.json(ids)
	if e.err != nil {
		return e.err
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, authz_id, type, status, token, validated, error, records
		FROM challenges WHERE authz_id IN (SELECT value FROM json_each(?)) ORDER BY id`, idList)
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

func scanChallenge(rows *sql.Rows) (*core.Challenge, error) {
	var (
		id, authzID        int64
		typ, status, token string
		validated          sql.NullInt64
		challErr, records  sql.NullString
	)
	if err := rows.Scan(&id, &authzID, &typ, &status, &token, &validated, &challErr, &records); err != nil {
		return nil, fmt.Errorf("reading challenge: %w", err)
	}
	return challengeFrom(id, authzID, typ, status, token, validated, challErr, records)
}

// challengeFrom decodes a challenge row's columns.
func challengeFrom(id, authzID int64, typ, status, token string, validated sql.NullInt64, challErr, records sql.NullString) (*core.Challenge, error) {
	ch := core.Challenge{ID: id, AuthzID: authzID, Token: token,
		Type: acme.ChallengeType(typ), Status: acme.Status(status), Validated: timeFrom(validated)}
	var err error
	if ch.Error, err = problemFrom(challErr); err != nil {
		return nil, err
	}
	if err := jsonFrom(records, &ch.Records); err != nil {
		return nil, err
	}
	if len(ch.Records) == 0 {
		ch.Records = nil
	}
	return &ch, nil
}
