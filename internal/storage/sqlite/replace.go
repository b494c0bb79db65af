package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/quarry-ca/quarry/internal/core"
)

// ClaimReplacement records that orderID replaces the certificate serial,
// unless an order that is processing or valid already did. The write
// transaction holds the database's write lock from its first read, so the
// check and the write are one step.
func (s *Store) ClaimReplacement(ctx context.Context, serial string, orderID int64) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		var holder int64
		var status string
		err := tx.QueryRowContext(ctx, `SELECT r.order_id, o.status FROM replacements r
			JOIN orders o ON o.id = r.order_id WHERE r.serial = ?`, serial).Scan(&holder, &status)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			_, err = tx.ExecContext(ctx, `INSERT INTO replacements (serial, order_id) VALUES (?, ?)`, serial, orderID)
		case err != nil:
			return fmt.Errorf("reading replacement of %s: %w", serial, err)
		case holder == orderID:
			return nil
		case status == "processing" || status == "valid":
			return core.Errorf(core.ErrAlreadyReplaced, "certificate %s is already replaced by another order", serial)
		default:
			_, err = tx.ExecContext(ctx, `UPDATE replacements SET order_id = ? WHERE serial = ?`, orderID, serial)
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
	var n int
	err := s.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM replacements r JOIN orders o ON o.id = r.order_id
		WHERE r.serial = ? AND o.status IN ('processing', 'valid')`, serial).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("reading replacement of %s: %w", serial, err)
	}
	return n > 0, nil
}

// BlockKey adds a key to the block list; an existing entry stays.
func (s *Store) BlockKey(ctx context.Context, spkiSHA256 []byte, serial string, at time.Time) error {
	if len(spkiSHA256) != 32 {
		return fmt.Errorf("blocking key: want a 32-byte SHA-256, got %d bytes", len(spkiSHA256))
	}
	var e encoder
	added := e.time(at)
	if e.err != nil {
		return e.err
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO blocked_keys (spki_sha256, serial, added_at) VALUES (?, ?, ?)
			ON CONFLICT (spki_sha256) DO NOTHING`, spkiSHA256, serial, added)
		if err != nil {
			return fmt.Errorf("blocking key: %w", err)
		}
		return nil
	})
}

// KeyBlocked reports whether a key is on the block list.
func (s *Store) KeyBlocked(ctx context.Context, spkiSHA256 []byte) (bool, error) {
	var n int
	err := s.reader.QueryRowContext(ctx, `SELECT COUNT(*) FROM blocked_keys WHERE spki_sha256 = ?`, spkiSHA256).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("reading blocked keys: %w", err)
	}
	return n > 0, nil
}
