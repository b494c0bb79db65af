package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/quarry-ca/quarry/internal/storage/sqlbase"
)

// ValidAuthorizedNames reports, for each of names, whether the account
// holds a valid authorization for it unexpired at now. "*.x" needs a
// wildcard authorization for x and "x" a non-wildcard one: the two are
// proved differently and neither stands in for the other. Names that
// parse as IP addresses are looked up as IP identifiers. The lookups go
// in one batch: one round trip, however many names.
func (s *Store) ValidAuthorizedNames(ctx context.Context, accountID int64, names []string, now time.Time) (map[string]bool, error) {
	var e sqlbase.Encoder
	at := e.Time(now)
	if e.Err != nil {
		return nil, e.Err
	}
	held := make(map[string]bool, len(names))
	if len(names) == 0 {
		return held, nil
	}
	err := s.read(ctx, func(tx pgx.Tx) error {
		var b pgx.Batch
		for _, name := range names {
			id, wildcard := sqlbase.IdentifierOf(name)
			b.Queue(`SELECT EXISTS (SELECT 1 FROM authzs
				WHERE account_id = $1 AND identifier_type = $2 AND identifier_value = $3 AND wildcard = $4
				AND status = 'valid' AND expires > $5)`, accountID, string(id.Type), id.Value, wildcard, at)
		}
		results := tx.SendBatch(ctx, &b)
		defer results.Close()
		for _, name := range names {
			var ok bool
			if err := results.QueryRow().Scan(&ok); err != nil {
				return fmt.Errorf("looking up authorization for %s: %w", name, err)
			}
			held[name] = ok
		}
		return results.Close()
	})
	if err != nil {
		return nil, err
	}
	return held, nil
}
