package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/storage/sqlbase"
)

// ClaimReplacement records that orderID replaces the certificate serial,
// unless an order that is processing or valid already did. Locking the
// certificate's row first queues concurrent claims on any instance, and
// each then reads the claim the one before it committed.
func (s *Store) ClaimReplacement(ctx context.Context, serial string, orderID int64) error {
	return s.write(ctx, func(tx pgx.Tx) error {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM certificates WHERE serial = $1 FOR UPDATE`, serial).Scan(&one)
		if noRows(err) {
			return core.Errorf(core.ErrNotFound, "no certificate %s", serial)
		} else if err != nil {
			return fmt.Errorf("locking certificate %s: %w", serial, err)
		}
		var (
			holder int64
			status string
		)
		err = tx.QueryRow(ctx, `SELECT r.order_id, o.status FROM replacements r
			JOIN orders o ON o.id = r.order_id WHERE r.serial = $1`, serial).Scan(&holder, &status)
		switch {
		case noRows(err):
			_, err = tx.Exec(ctx, `INSERT INTO replacements (serial, order_id) VALUES ($1, $2)`, serial, orderID)
		case err != nil:
			return fmt.Errorf("reading replacement of %s: %w", serial, err)
		case holder == orderID:
			return nil
		case status == "processing" || status == "valid":
			return core.Errorf(core.ErrAlreadyReplaced, "certificate %s is already replaced by another order", serial)
		default:
			_, err = tx.Exec(ctx, `UPDATE replacements SET order_id = $1 WHERE serial = $2`, orderID, serial)
		}
		if isForeignKeyViolation(err) {
			return core.Errorf(core.ErrNotFound, "no certificate %s or order %d", serial, orderID)
		} else if err != nil {
			return fmt.Errorf("claiming replacement of %s: %w", serial, err)
		}
		return nil
	})
}

// Replaced reports whether a processing or valid order claimed serial.
func (s *Store) Replaced(ctx context.Context, serial string) (bool, error) {
	var found bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM replacements r JOIN orders o ON o.id = r.order_id
		WHERE r.serial = $1 AND o.status IN ('processing', 'valid'))`, serial).Scan(&found)
	if err != nil {
		return false, fmt.Errorf("reading replacement of %s: %w", serial, err)
	}
	return found, nil
}

// BlockKey adds a key to the block list; an existing entry stays.
func (s *Store) BlockKey(ctx context.Context, spkiSHA256 []byte, serial string, at time.Time) error {
	if len(spkiSHA256) != 32 {
		return fmt.Errorf("blocking key: want a 32-byte SHA-256, got %d bytes", len(spkiSHA256))
	}
	var e sqlbase.Encoder
	added := e.Time(at)
	if e.Err != nil {
		return e.Err
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO blocked_keys (spki_sha256, serial, added_at) VALUES ($1, $2, $3)
		ON CONFLICT (spki_sha256) DO NOTHING`, spkiSHA256, serial, added)
	if err != nil {
		return fmt.Errorf("blocking key: %w", err)
	}
	return nil
}

// KeyBlocked reports whether a key is on the block list.
func (s *Store) KeyBlocked(ctx context.Context, spkiSHA256 []byte) (bool, error) {
	var found bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM blocked_keys WHERE spki_sha256 = $1)`, spkiSHA256).Scan(&found)
	if err != nil {
		return false, fmt.Errorf("reading blocked keys: %w", err)
	}
	return found, nil
}
