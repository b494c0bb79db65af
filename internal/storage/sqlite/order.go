package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
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
	err := s.write(ctx, func(tx *sql.Tx) error {
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

func insertOrder(ctx context.Context, tx *sql.Tx, o *core.Order) (int64, error) {
	var e encoder
	args := []any{o.AccountID, string(o.Status), e.time(o.Expires), e.json(nonNil(o.Identifiers)),
		e.time(o.NotBefore), e.time(o.NotAfter), e.problem(o.Error), nullIfEmpty(o.CertSerial),
		o.Profile, o.Replaces, e.time(o.CreatedAt)}
	if e.err != nil {
		return 0, fmt.Errorf("storing order: %w", e.err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO orders (account_id, status, expires, identifiers,
		not_before, not_after, error, cert_serial, profile, replaces, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
	if isForeignKeyViolation(err) {
		return 0, core.Errorf(core.ErrNotFound, "no account %d", o.AccountID)
	} else if err != nil {
		return 0, fmt.Errorf("inserting order: %w", err)
	}
	return res.LastInsertId()
}

// linkAuthzs records the order's authorizations in position order and
// checks they all belong to the order's account.
func linkAuthzs(ctx context.Context, tx *sql.Tx, orderID, accountID int64, authzIDs []int64) error {
	for pos, id := range authzIDs {
		_, err := tx.ExecContext(ctx, `INSERT INTO order_authzs (order_id, authz_id, position) VALUES (?, ?, ?)`,
			orderID, id, pos)
		if isForeignKeyViolation(err) {
			return core.Errorf(core.ErrNotFound, "no authorization %d", id)
		} else if err != nil {
			return fmt.Errorf("linking authorization %d: %w", id, err)
		}
	}
	var foreign int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM order_authzs oa JOIN authzs a ON a.id = oa.authz_id
		WHERE oa.order_id = ? AND a.account_id != ?`, orderID, accountID).Scan(&foreign)
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
// One statement reads the order and its authorizations' IDs together, so
// it needs no read transaction (order_join.go).
func (s *Store) GetOrder(ctx context.Context, id int64) (*core.Order, error) {
	return s.getOrderJoined(ctx, id)
}

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// scanOrder reads orderColumns, then extra columns into extra.
func scanOrder(row rowScanner, extra ...any) (*core.Order, error) {
	var (
		o                                   core.Order
		status                              string
		idents, orderErr, serial            sql.NullString
		expires, notBefore, notAfter, added sql.NullInt64
	)
	err := row.Scan(append([]any{&o.ID, &o.AccountID, &status, &expires, &idents, &notBefore, &notAfter, &orderErr,
		&serial, &o.Profile, &o.Replaces, &added}, extra...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.Errorf(core.ErrNotFound, "no such order")
	} else if err != nil {
		return nil, fmt.Errorf("reading order: %w", err)
	}
	if err := jsonFrom(idents, &o.Identifiers); err != nil {
		return nil, err
	}
	if o.Error, err = problemFrom(orderErr); err != nil {
		return nil, err
	}
	o.Status, o.CertSerial = acme.Status(status), serial.String
	o.Expires, o.NotBefore, o.NotAfter, o.CreatedAt = timeFrom(expires), timeFrom(notBefore), timeFrom(notAfter), timeFrom(added)
	return &o, nil
}

// ListOrders returns up to limit IDs of the account's orders unexpired at
// now, oldest first, after afterID.
func (s *Store) ListOrders(ctx context.Context, accountID int64, now time.Time, afterID int64, limit int) ([]int64, error) {
	if limit <= 0 {
		return nil, nil
	}
	var e encoder
	at := e.time(now)
	if e.err != nil {
		return nil, e.err
	}
	rows, err := s.reader.QueryContext(ctx, `SELECT id FROM orders
		WHERE account_id = ? AND id > ? AND expires > ? ORDER BY id LIMIT ?`, accountID, afterID, at, limit)
	if err != nil {
		return nil, fmt.Errorf("listing orders: %w", err)
	}
	return collectIDs(rows)
}

// SetOrderStatus moves an order from status from to status to, storing
// orderErr; core.ErrConflict when it is not in from.
func (s *Store) SetOrderStatus(ctx context.Context, id int64, from, to acme.Status, orderErr *core.Error) error {
	var e encoder
	problem := e.problem(orderErr)
	if e.err != nil {
		return e.err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE orders SET status = ?, error = ? WHERE id = ? AND status = ?`,
			string(to), problem, id, string(from))
		if err != nil {
			return fmt.Errorf("updating order %d: %w", id, err)
		}
		if ok, err := changedOne(res); err != nil || ok {
			return err
		}
		return whyUnchanged(ctx, tx, "order", `SELECT status FROM orders WHERE id = ?`, id)
	})
}

// collectIDs reads a one-column result of IDs and closes rows.
func collectIDs(rows *sql.Rows) ([]int64, error) {
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("reading id: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading ids: %w", err)
	}
	return ids, nil
}
