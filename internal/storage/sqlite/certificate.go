package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/quarry-ca/quarry/internal/core"
)

// FinalizeOrder stores cert and moves order orderID from processing to
// valid with cert's serial, in one transaction: either both happen or
// neither does. The certificate's order is orderID whatever cert.OrderID
// says.
func (s *Store) FinalizeOrder(ctx context.Context, orderID int64, cert *core.Certificate) error {
	var e encoder
	args := []any{cert.Serial, cert.AccountID, orderID, cert.IssuerID, nonNil(cert.DER), e.json(nonNil(cert.Names)),
		e.time(cert.NotBefore), e.time(cert.NotAfter), e.time(cert.IssuedAt),
		cert.Revoked, e.time(cert.RevokedAt), cert.RevocationReason, cert.Shard}
	if e.err != nil {
		return fmt.Errorf("storing certificate: %w", e.err)
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		// The write lock is held from BEGIN, so the status read here still
		// holds at the UPDATE; reading first tells a missing order from a
		// lost race before the certificate's own constraints are checked.
		var (
			status  string
			account int64
		)
		err := tx.QueryRowContext(ctx, `SELECT status, account_id FROM orders WHERE id = ?`, orderID).Scan(&status, &account)
		if errors.Is(err, sql.ErrNoRows) {
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
		_, err = tx.ExecContext(ctx, `INSERT INTO certificates (serial, account_id, order_id, issuer_id, der, names,
			not_before, not_after, issued_at, revoked, revoked_at, reason, shard)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
		if isUniqueViolation(err) {
			return core.Errorf(core.ErrConflict, "a certificate with serial %s is already stored", cert.Serial)
		} else if isForeignKeyViolation(err) {
			return core.Errorf(core.ErrNotFound, "no account %d", cert.AccountID)
		} else if err != nil {
			return fmt.Errorf("inserting certificate %s: %w", cert.Serial, err)
		}
		res, err := tx.ExecContext(ctx, `UPDATE orders SET status = 'valid', cert_serial = ?, error = NULL
			WHERE id = ? AND status = 'processing'`, cert.Serial, orderID)
		if err != nil {
			return fmt.Errorf("finalizing order %d: %w", orderID, err)
		}
		if ok, err := changedOne(res); err != nil || ok {
			return err
		}
		return whyUnchanged(ctx, tx, "order", `SELECT status FROM orders WHERE id = ?`, orderID)
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
	err := s.reader.QueryRowContext(ctx, `SELECT `+certificateColumns+` FROM certificates WHERE serial = ?`, serial).
		Scan(&c.Serial, &c.AccountID, &c.OrderID, &c.IssuerID, &c.DER, &names, &notBefore, &notAfter,
			&issued, &c.Revoked, &revokedAt, &c.RevocationReason, &c.Shard)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.Errorf(core.ErrNotFound, "no certificate with serial %s", serial)
	} else if err != nil {
		return nil, fmt.Errorf("reading certificate %s: %w", serial, err)
	}
	if err := jsonFrom(names, &c.Names); err != nil {
		return nil, err
	}
	if len(c.Names) == 0 {
		c.Names = nil
	}
	c.NotBefore, c.NotAfter, c.IssuedAt, c.RevokedAt = timeFrom(notBefore), timeFrom(notAfter), timeFrom(issued), timeFrom(revokedAt)
	return &c, nil
}

// RevokeCertificate marks a certificate revoked at at for reason;
// core.ErrAlreadyRevoked when it already is, keeping the first revocation.
func (s *Store) RevokeCertificate(ctx context.Context, serial string, reason int, at time.Time) error {
	var e encoder
	when := e.time(at)
	if e.err != nil {
		return e.err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE certificates SET revoked = 1, revoked_at = ?, reason = ?
			WHERE serial = ? AND revoked = 0`, when, reason, serial)
		if err != nil {
			return fmt.Errorf("revoking certificate %s: %w", serial, err)
		}
		if ok, err := changedOne(res); err != nil || ok {
			return err
		}
		var revoked bool
		err = tx.QueryRowContext(ctx, `SELECT revoked FROM certificates WHERE serial = ?`, serial).Scan(&revoked)
		if errors.Is(err, sql.ErrNoRows) {
			return core.Errorf(core.ErrNotFound, "no certificate with serial %s", serial)
		} else if err != nil {
			return fmt.Errorf("reading certificate %s: %w", serial, err)
		}
		return core.Errorf(core.ErrAlreadyRevoked, "certificate %s is already revoked", serial)
	})
}
