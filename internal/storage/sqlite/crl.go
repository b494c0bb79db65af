package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/quarry-ca/quarry/internal/core"
)

// RevokedCertificates streams a shard's revoked, unexpired certificates to
// fn without holding them all in memory; the walk reads one snapshot. It
// does not sort: CRL entries need no order, and sorting a million rows
// costs more than reading them.
func (s *Store) RevokedCertificates(ctx context.Context, issuerID string, shard int, now time.Time,
	fn func(serial string, revokedAt time.Time, reason int) error) error {
	var e encoder
	at := e.time(now)
	if e.err != nil {
		return e.err
	}
	return s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT serial, revoked_at, reason FROM certificates
			WHERE issuer_id = ? AND shard = ? AND revoked = 1 AND not_after > ?`, issuerID, shard, at)
		if err != nil {
			return fmt.Errorf("listing revoked certificates of %s shard %d: %w", issuerID, shard, err)
		}
		defer rows.Close()
		var (
			serial    string
			revokedAt sql.NullInt64
			reason    int
		)
		for rows.Next() {
			if err := rows.Scan(&serial, &revokedAt, &reason); err != nil {
				return fmt.Errorf("reading revoked certificate: %w", err)
			}
			if err := fn(serial, timeFrom(revokedAt), reason); err != nil {
				return err
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("listing revoked certificates of %s shard %d: %w", issuerID, shard, err)
		}
		return nil
	})
}

// NextCRLNumber increments a shard's CRL number in one write transaction.
func (s *Store) NextCRLNumber(ctx context.Context, issuerID string, shard int) (int64, error) {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO crl_numbers (issuer_id, shard, number) VALUES (?, ?, 1)
			ON CONFLICT (issuer_id, shard) DO UPDATE SET number = number + 1
			RETURNING number`, issuerID, shard).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("next CRL number of %s shard %d: %w", issuerID, shard, err)
	}
	return n, nil
}

// PutCRL keeps the CRL with the highest number per shard.
func (s *Store) PutCRL(ctx context.Context, crl *core.CRL) error {
	var e encoder
	args := []any{crl.IssuerID, crl.Shard, crl.Number, nonNil(crl.DER), e.time(crl.ThisUpdate), e.time(crl.NextUpdate)}
	if e.err != nil {
		return fmt.Errorf("storing CRL: %w", e.err)
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO crls (issuer_id, shard, number, der, this_update, next_update)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (issuer_id, shard) DO UPDATE SET number = excluded.number, der = excluded.der,
				this_update = excluded.this_update, next_update = excluded.next_update
			WHERE excluded.number > crls.number`, args...)
		if err != nil {
			return fmt.Errorf("storing CRL %d of %s shard %d: %w", crl.Number, crl.IssuerID, crl.Shard, err)
		}
		return nil
	})
}

// GetCRL returns a shard's latest CRL.
func (s *Store) GetCRL(ctx context.Context, issuerID string, shard int) (*core.CRL, error) {
	c := core.CRL{IssuerID: issuerID, Shard: shard}
	var thisUpdate, nextUpdate sql.NullInt64
	err := s.reader.QueryRowContext(ctx, `SELECT number, der, this_update, next_update FROM crls
		WHERE issuer_id = ? AND shard = ?`, issuerID, shard).Scan(&c.Number, &c.DER, &thisUpdate, &nextUpdate)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.Errorf(core.ErrNotFound, "no CRL for %s shard %d", issuerID, shard)
	} else if err != nil {
		return nil, fmt.Errorf("reading CRL of %s shard %d: %w", issuerID, shard, err)
	}
	c.ThisUpdate, c.NextUpdate = timeFrom(thisUpdate), timeFrom(nextUpdate)
	return &c, nil
}
