package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/storage/sqlbase"
)

// NewOrder inserts order, its new authorizations and their challenges in
// one transaction. IDs are set only once it has committed, so a failed
// call leaves order and newAuthzs as they were.
func (s *Store) NewOrder(ctx context.Context, order *core.Order, newAuthzs []*core.Authorization) error {
	var (
		orderID  int64
		authzIDs []int64
		challIDs [][]int64
	)
	err := s.write(ctx, func(tx pgx.Tx) error {
		var err error
		if orderID, err = insertOrder(ctx, tx, order); err != nil {
			return err
		}
		authzIDs, challIDs = slices.Clone(order.AuthzIDs), nil
		for _, az := range newAuthzs {
			id, cids, err := insertAuthz(ctx, tx, az)
			if err != nil {
				return err
			}
			authzIDs = append(authzIDs, id)
			challIDs = append(challIDs, cids)
		}
		return linkAuthzs(ctx, tx, orderID, order.AccountID, authzIDs)
	})
	if err != nil {
		return err
	}
	order.ID, order.AuthzIDs = orderID, authzIDs
	for i, az := range newAuthzs {
		az.ID = authzIDs[len(authzIDs)-len(newAuthzs)+i]
		for j, ch := range az.Challenges {
			ch.ID, ch.AuthzID = challIDs[i][j], az.ID
		}
	}
	return nil
}

func insertOrder(ctx context.Context, tx pgx.Tx, o *core.Order) (int64, error) {
	var e sqlbase.Encoder
	args := []any{o.AccountID, string(o.Status), e.Time(o.Expires), e.JSON(sqlbase.NonNil(o.Identifiers)),
		e.Time(o.NotBefore), e.Time(o.NotAfter), e.Problem(o.Error), sqlbase.NullIfEmpty(o.CertSerial),
		o.Profile, o.Replaces, e.Time(o.CreatedAt)}
	if e.Err != nil {
		return 0, fmt.Errorf("storing order: %w", e.Err)
	}
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO orders (account_id, status, expires, identifiers,
		not_before, not_after, error, cert_serial, profile, replaces, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`, args...).Scan(&id)
	if isForeignKeyViolation(err) {
		return 0, core.Errorf(core.ErrNotFound, "no account %d", o.AccountID)
	} else if err != nil {
		return 0, fmt.Errorf("inserting order: %w", err)
	}
	return id, nil
}

// linkAuthzs records the order's authorizations in position order and
// checks they all belong to the order's account.
func linkAuthzs(ctx context.Context, tx pgx.Tx, orderID, accountID int64, authzIDs []int64) error {
	for pos, id := range authzIDs {
		_, err := tx.Exec(ctx, `INSERT INTO order_authzs (order_id, authz_id, position) VALUES ($1, $2, $3)`,
			orderID, id, pos)
		if isForeignKeyViolation(err) {
			return core.Errorf(core.ErrNotFound, "no authorization %d", id)
		} else if err != nil {
			return fmt.Errorf("linking authorization %d: %w", id, err)
		}
	}
	var foreign int64
	err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM order_authzs oa JOIN authzs a ON a.id = oa.authz_id
		WHERE oa.order_id = $1 AND a.account_id != $2`, orderID, accountID).Scan(&foreign)
	if err != nil {
		return fmt.Errorf("checking authorization owners: %w", err)
	}
	if foreign > 0 {
		return fmt.Errorf("order of account %d lists %d authorizations of other accounts", accountID, foreign)
	}
	return nil
}

const orderColumns = `id, account_id, status, expires, identifiers, not_before, not_after, error,
	cert_serial, profile, replaces, created_at`

// GetOrder returns the order with id, its AuthzIDs in position order.
func (s *Store) GetOrder(ctx context.Context, id int64) (*core.Order, error) {
	var o *core.Order
	err := s.read(ctx, func(tx pgx.Tx) error {
		var err error
		if o, err = scanOrder(tx.QueryRow(ctx, `SELECT `+orderColumns+` FROM orders WHERE id = $1`, id)); err != nil {
			return err
		}
		o.AuthzIDs, err = collectIDs(tx.Query(ctx, `SELECT authz_id FROM order_authzs WHERE order_id = $1 ORDER BY position`, id))
		return err
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

func scanOrder(row pgx.Row) (*core.Order, error) {
	var (
		o                                   core.Order
		status                              string
		idents, orderErr, serial            sql.NullString
		expires, notBefore, notAfter, added sql.NullInt64
	)
	err := row.Scan(&o.ID, &o.AccountID, &status, &expires, &idents, &notBefore, &notAfter, &orderErr,
		&serial, &o.Profile, &o.Replaces, &added)
	if noRows(err) {
		return nil, core.Errorf(core.ErrNotFound, "no such order")
	} else if err != nil {
		return nil, fmt.Errorf("reading order: %w", err)
	}
	if err := sqlbase.JSONFrom(idents, &o.Identifiers); err != nil {
		return nil, err
	}
	if o.Error, err = sqlbase.ProblemFrom(orderErr); err != nil {
		return nil, err
	}
	o.Status, o.CertSerial = acme.Status(status), serial.String
	o.Expires, o.NotBefore = sqlbase.TimeFrom(expires), sqlbase.TimeFrom(notBefore)
	o.NotAfter, o.CreatedAt = sqlbase.TimeFrom(notAfter), sqlbase.TimeFrom(added)
	return &o, nil
}

// ListOrders returns up to limit IDs of the account's orders unexpired at
// now, oldest first, after afterID.
func (s *Store) ListOrders(ctx context.Context, accountID int64, now time.Time, afterID int64, limit int) ([]int64, error) {
	if limit <= 0 {
		return nil, nil
	}
	var e sqlbase.Encoder
	at := e.Time(now)
	if e.Err != nil {
		return nil, e.Err
	}
	ids, err := collectIDs(s.pool.Query(ctx, `SELECT id FROM orders
		WHERE account_id = $1 AND id > $2 AND expires > $3 ORDER BY id LIMIT $4`, accountID, afterID, at, limit))
	if err != nil {
		return nil, fmt.Errorf("listing orders: %w", err)
	}
	return ids, nil
}

// SetOrderStatus moves an order from status from to status to, storing
// orderErr; core.ErrConflict when it is not in from.
func (s *Store) SetOrderStatus(ctx context.Context, id int64, from, to acme.Status, orderErr *core.Error) error {
	var e sqlbase.Encoder
	problem := e.Problem(orderErr)
	if e.Err != nil {
		return e.Err
	}
	return s.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE orders SET status = $1, error = $2 WHERE id = $3 AND status = $4`,
			string(to), problem, id, string(from))
		if err != nil {
			return fmt.Errorf("updating order %d: %w", id, err)
		}
		if tag.RowsAffected() > 0 {
			return nil
		}
		return whyUnchanged(ctx, tx, "order", `SELECT status FROM orders WHERE id = $1`, id)
	})
}

// collectIDs reads a one-column result of IDs; it takes Query's results
// directly so callers need not check the error twice.
func collectIDs(rows pgx.Rows, err error) ([]int64, error) {
	if err != nil {
		return nil, fmt.Errorf("reading ids: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("reading ids: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return ids, nil
}
