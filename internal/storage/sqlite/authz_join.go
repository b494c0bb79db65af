package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// authzJoinQuery reads authorizations with their challenges in one
// statement. One statement reads one snapshot, so it needs no read
// transaction: BEGIN, the two queries and ROLLBACK cost about three times
// as much, and every request of an issuance reads an authorization.
const authzJoinQuery = `SELECT a.id, a.account_id, a.identifier_type, a.identifier_value, a.wildcard,
	a.status, a.expires, c.id, c.type, c.status, c.token, c.validated, c.error, c.records
	FROM authzs a LEFT JOIN challenges c ON c.authz_id = a.id WHERE `

// loadAuthzsJoined runs authzJoinQuery with where (which must order the
// rows by authorization, then challenge ID) and returns the
// authorizations in row order.
func loadAuthzsJoined(ctx context.Context, db *sql.DB, where string, args ...any) ([]*core.Authorization, error) {
	rows, err := db.QueryContext(ctx, authzJoinQuery+where, args...)
	if err != nil {
		return nil, fmt.Errorf("reading authorizations: %w", err)
	}
	defer rows.Close()
	var (
		out  []*core.Authorization
		last *core.Authorization
	)
	for rows.Next() {
		var (
			az          core.Authorization
			typ, status string
			expires     sql.NullInt64
			c           joinedChallenge
		)
		if err := rows.Scan(&az.ID, &az.AccountID, &typ, &az.Identifier.Value, &az.Wildcard, &status, &expires,
			&c.id, &c.typ, &c.status, &c.token, &c.validated, &c.err, &c.records); err != nil {
			return nil, fmt.Errorf("reading authorization: %w", err)
		}
		if last == nil || last.ID != az.ID {
			az.Identifier.Type, az.Status, az.Expires = acme.IdentifierType(typ), acme.Status(status), timeFrom(expires)
			last = &az
			out = append(out, last)
		}
		if !c.id.Valid {
			continue // an authorization without challenges
		}
		ch, err := c.challenge(last.ID)
		if err != nil {
			return nil, err
		}
		last.Challenges = append(last.Challenges, ch)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading authorizations: %w", err)
	}
	return out, nil
}

// joinedChallenge is a challenge's columns from the nullable side of a
// LEFT JOIN.
type joinedChallenge struct {
	id                 sql.NullInt64
	typ, status, token sql.NullString
	validated          sql.NullInt64
	err, records       sql.NullString
}

func (c *joinedChallenge) challenge(authzID int64) (*core.Challenge, error) {
	return challengeFrom(c.id.Int64, authzID, c.typ.String, c.status.String, c.token.String, c.validated, c.err, c.records)
}

// loadAuthzsByID reads the authorizations with ids (in ID order; missing
// ones are left out). One ID, the common case, skips json_each.
func (s *Store) loadAuthzsByID(ctx context.Context, ids []int64) ([]*core.Authorization, error) {
	if len(ids) == 1 {
		return loadAuthzsJoined(ctx, s.reader, `a.id = ? ORDER BY c.id`, ids[0])
	}
	var e encoder
	idList := e.json(ids)
	if e.err != nil {
		return nil, e.err
	}
	return loadAuthzsJoined(ctx, s.reader, `a.id IN (SELECT value FROM json_each(?)) ORDER BY a.id, c.id`, idList)
}
