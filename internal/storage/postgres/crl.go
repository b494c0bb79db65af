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

// RevokedCertificates streams a shard's revoked, unexpired certificates to
// fn without holding them all in memory (pgx reads rows off the wire as fn
// consumes them); the walk reads one snapshot. It does not sort: CRL
// entries need no order.
func (s *Store) RevokedCertificates(ctx context.Context, issuerID string, shard int, now time.Time,
	fn func(serial string, revokedAt time.Time, reason int) error) error {
	var e sqlbase.Encoder
	at := e.Time(now)
	if e.Err != nil {
		return e.Err
	}
	return s.read(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT serial, revoked_at, reason FROM certificates
			WHERE issuer_id = $1 AND shard = $2 AND revoked AND not_after > $3`, issuerID, shard, at)
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
			if err := fn(serial, sqlbase.TimeFrom(revokedAt), reason); err != nil {
				return err
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("listing revoked certificates of %s shard %d: %w", issuerID, shard, err)
		}
		return nil
	})
}

// NextCRLNumber increments a shard's CRL number in one statement; the
// upsert's row lock orders instances asking at once, so none sees a
// number twice.
func (s *Store) NextCRLNumber(ctx context.Context, issuerID string, shard int) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `INSERT INTO crl_numbers (issuer_id, shard, number) VALUES ($1, $2, 1)
		ON CONFLICT (issuer_id, shard) DO UPDATE SET number = crl_numbers.number + 1
		RETURNING number`, issuerID, shard).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("next CRL number of %s shard %d: %w", issuerID, shard, err)
	}
	return n, nil
}

// PutCRL keeps the CRL with the highest number per shard.
func (s *Store) PutCRL(ctx context.Context, crl *core.CRL) error {
	var e sqlbase.Encoder
	args := []any{crl.IssuerID, crl.Shard, crl.Number, sqlbase.NonNil(crl.DER), e.Time(crl.ThisUpdate), e.Time(crl.NextUpdate)}
	if e.Err != nil {
		return fmt.Errorf("storing CRL: %w", e.Err)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO crls (issuer_id, shard, number, der, this_update, next_update)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (issuer_id, shard) DO UPDATE SET number = excluded.number, der = excluded.der,
			this_update = excluded.this_update, next_update = excluded.next_update
		WHERE excluded.number > crls.number`, args...)
	if err != nil {
		return fmt.Errorf("storing CRL %d of %s shard %d: %w", crl.Number, crl.IssuerID, crl.Shard, err)
	}
	return nil
}

// GetCRL returns a shard's latest CRL.
func (s *Store) GetCRL(ctx context.Context, issuerID string, shard int) (*core.CRL, error) {
	c := core.CRL{IssuerID: issuerID, Shard: shard}
	var thisUpdate, nextUpdate sql.NullInt64
	err := s.pool.QueryRow(ctx, `SELECT number, der, this_update, next_update FROM crls
		WHERE issuer_id = $1 AND shard = $2`, issuerID, shard).Scan(&c.Number, &c.DER, &thisUpdate, &nextUpdate)
	if noRows(err) {
		return nil, core.Errorf(core.ErrNotFound, "no CRL for %s shard %d", issuerID, shard)
	} else if err != nil {
		return nil, fmt.Errorf("reading CRL of %s shard %d: %w", issuerID, shard, err)
	}
	c.ThisUpdate, c.NextUpdate = sqlbase.TimeFrom(thisUpdate), sqlbase.TimeFrom(nextUpdate)
	return &c, nil
}
