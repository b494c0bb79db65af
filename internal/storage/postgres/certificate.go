package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/storage/sqlbase"
)

// FinalizeOrder stores cert and moves order orderID from processing to
// valid with cert's serial, in one transaction: either both happen or
// neither does. The certificate's order is orderID whatever cert.OrderID
// says.
func (s *Store) FinalizeOrder(ctx context.Context, orderID int64, cert *core.Certificate) error {
	var e sqlbase.Encoder
	args := []any{cert.Serial, cert.AccountID, orderID, cert.IssuerID, sqlbase.NonNil(cert.DER),
		e.JSON(sqlbase.NonNil(cert.Names)), e.Time(cert.NotBefore), e.Time(cert.NotAfter), e.Time(cert.IssuedAt),
		cert.Revoked, e.Time(cert.RevokedAt), cert.RevocationReason, cert.Shard}
	if e.Err != nil {
		return fmt.Errorf("storing certificate: %w", e.Err)
	}
	return s.write(ctx, func(tx pgx.Tx) error {
		// The row lock holds the order until commit, so the status read here
		// still holds at the UPDATE; reading first tells a missing order
		// from a lost race before the certificate's own constraints are
		// checked.
		var (
			status  string
			account int64
		)
		err := tx.QueryRow(ctx, `SELECT status, account_id FROM orders WHERE id = $1 FOR NO KEY UPDATE`, orderID).Scan(&status, &account)
		if noRows(err) {
			return core.Errorf(core.ErrNotFound, "no order %d", orderID)
		} else if err != nil {
			return fmt.Errorf("reading order %d: %w", orderID, err)
		}
		if status != "processing" {
			return core.Errorf(core.ErrConflict, "order %d is %s, not processing", orderID, status)
		}
		if account != cert.AccountID {
			return fmt.Errorf("certificate for account %d stored against order %d of account %d", cert.AccountID, orderID, account)
		}
		_, err = tx.Exec(ctx, `INSERT INTO certificates (serial, account_id, order_id, issuer_id, der, names,
			not_before, not_after, issued_at, revoked, revoked_at, reason, shard)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`, args...)
		if isUniqueViolation(err) {
			return core.Errorf(core.ErrConflict, "a certificate with serial %s is already stored", cert.Serial)
		} else if isForeignKeyViolation(err) {
			return core.Errorf(core.ErrNotFound, "no account %d", cert.AccountID)
		} else if err != nil {
			return fmt.Errorf("inserting certificate %s: %w", cert.Serial, err)
		}
		tag, err := tx.Exec(ctx, `UPDATE orders SET status = 'valid', cert_serial = $1, error = NULL
			WHERE id = $2 AND status = 'processing'`, cert.Serial, orderID)
		if err != nil {
			return fmt.Errorf("finalizing order %d: %w", orderID, err)
		}
		if tag.RowsAffected() > 0 {
			return nil
		}
		return whyUnchanged(ctx, tx, "order", `SELECT status FROM orders WHERE id = $1`, orderID)
	})
}

const certificateColumns = `serial, account_id, order_id, issuer_id, der, names, not_before, not_after,
	issued_at, revoked, revoked_at, reason, shard`

// GetCertificate returns the certificate with serial (lower-case hex).
func (s *Store) GetCertificate(ctx context.Context, serial string) (*core.Certificate, error) {
	var (
		c                                      core.Certificate
		names                                  sql.NullString
		notBefore, notAfter, issued, revokedAt sql.NullInt64
	)
	err := s.pool.QueryRow(ctx, `SELECT `+certificateColumns+` FROM certificates WHERE serial = $1`, serial).
		Scan(&c.Serial, &c.AccountID, &c.OrderID, &c.IssuerID, &c.DER, &names, &notBefore, &notAfter,
			&issued, &c.Revoked, &revokedAt, &c.RevocationReason, &c.Shard)
	if noRows(err) {
		return nil, core.Errorf(core.ErrNotFound, "no certificate with serial %s", serial)
	} else if err != nil {
		return nil, fmt.Errorf("reading certificate %s: %w", serial, err)
	}
	if err := sqlbase.JSONFrom(names, &c.Names); err != nil {
		return nil, err
	}
	if len(c.Names) == 0 {
		c.Names = nil
	}
	c.NotBefore, c.NotAfter = sqlbase.TimeFrom(notBefore), sqlbase.TimeFrom(notAfter)
	c.IssuedAt, c.RevokedAt = sqlbase.TimeFrom(issued), sqlbase.TimeFrom(revokedAt)
	return &c, nil
}

// RevokeCertificate marks a certificate revoked at at for reason;
// core.ErrAlreadyRevoked when it already is, keeping the first revocation.
func (s *Store) RevokeCertificate(ctx context.Context, serial string, reason int, at time.Time) error {
	var e sqlbase.Encoder
	when := e.Time(at)
	if e.Err != nil {
		return e.Err
	}
	return s.write(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE certificates SET revoked = TRUE, revoked_at = $1, reason = $2
			WHERE serial = $3 AND NOT revoked`, when, reason, serial)
		if err != nil {
			return fmt.Errorf("revoking certificate %s: %w", serial, err)
		}
		if tag.RowsAffected() > 0 {
			return nil
		}
		var revoked bool
		err = tx.QueryRow(ctx, `SELECT revoked FROM certificates WHERE serial = $1`, serial).Scan(&revoked)
		if noRows(err) {
			return core.Errorf(core.ErrNotFound, "no certificate with serial %s", serial)
		} else if err != nil {
			return fmt.Errorf("reading certificate %s: %w", serial, err)
		}
		return core.Errorf(core.ErrAlreadyRevoked, "certificate %s is already revoked", serial)
	})
}
