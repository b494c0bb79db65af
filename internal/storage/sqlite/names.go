package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/storage/sqlbase"
)

// ValidAuthorizedNames reports, for each of names, whether the account
// holds a valid authorization for it unexpired at now. "*.x" needs a
// wildcard authorization for x and "x" a non-wildcard one: the two are
// proved differently and neither stands in for the other. Names that
// parse as IP addresses are looked up as IP identifiers.
func (s *Store) ValidAuthorizedNames(ctx context.Context, accountID int64, names []string, now time.Time) (map[string]bool, error) {
	var e encoder
	at := e.time(now)
	if e.err != nil {
		return nil, e.err
	}
	held := make(map[string]bool, len(names))
	err := s.read(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `SELECT EXISTS (SELECT 1 FROM authzs
			WHERE account_id = ? AND identifier_type = ? AND identifier_value = ? AND wildcard = ?
			AND status = 'valid' AND expires > ?)`)
		if err != nil {
			return fmt.Errorf("preparing authorization lookup: %w", err)
		}
		defer stmt.Close()
		for _, name := range names {
			id, wildcard := identifierOf(name)
			var ok bool
			if err := stmt.QueryRowContext(ctx, accountID, string(id.Type), id.Value, wildcard, at).Scan(&ok); err != nil {
				return fmt.Errorf("looking up authorization for %s: %w", name, err)
			}
			held[name] = ok
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return held, nil
}

// identifierOf turns a certificate name into the identifier and wildcard
// flag an authorization for it is stored under.
func identifierOf(name string) (acme.Identifier, bool) { return sqlbase.IdentifierOf(name) }
