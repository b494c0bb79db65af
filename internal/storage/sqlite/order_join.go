package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/quarry-ca/quarry/internal/core"
)

// orderJoinQuery reads an order (orderColumns) and its authorizations'
// IDs, one row per authorization in position order (one row with a NULL
// ID for an order without any).
const orderJoinQuery = `SELECT o.id, o.account_id, o.status, o.expires, o.identifiers, o.not_before,
	o.not_after, o.error, o.cert_serial, o.profile, o.replaces, o.created_at, oa.authz_id
	FROM orders o LEFT JOIN order_authzs oa ON oa.order_id = o.id WHERE o.id = ? ORDER BY oa.position`

// orderColumnCount is how many columns orderColumns names.
const orderColumnCount = 12

func (s *Store) getOrderJoined(ctx context.Context, id int64) (*core.Order, error) {
	rows, err := s.reader.QueryContext(ctx, orderJoinQuery, id)
	if err != nil {
		return nil, fmt.Errorf("reading order: %w", err)
	}
	defer rows.Close()
	var o *core.Order
	for rows.Next() {
		var authzID sql.NullInt64
		if o == nil {
			if o, err = scanOrder(rows, &authzID); err != nil {
				return nil, err
			}
		} else if err := rows.Scan(skipColumns(orderColumnCount, &authzID)...); err != nil {
			return nil, fmt.Errorf("reading order authorizations: %w", err)
		}
		if authzID.Valid {
			o.AuthzIDs = append(o.AuthzIDs, authzID.Int64)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading order: %w", err)
	}
	if o == nil {
		return nil, core.Errorf(core.ErrNotFound, "no such order")
	}
	return o, nil
}

// skipColumns is Scan's destinations for n columns to ignore, then last.
func skipColumns(n int, last any) []any {
	var skip any
	dest := make([]any, n, n+1)
	for i := range dest {
		dest[i] = &skip
	}
	return append(dest, last)
}
