package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/quarry-ca/quarry/internal/storage"
)

var _ storage.ClusterStore = (*Store)(nil)

// UseNonce inserts the nonce's row; a second insert of one id changes
// nothing, and only the caller whose insert took sees true.
func (s *Store) UseNonce(ctx context.Context, id []byte, expires time.Time) (bool, error) {
	var e encoder
	exp := e.time(expires)
	if e.err != nil {
		return false, e.err
	}
	var first bool
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO used_nonces (id, expires) VALUES (?, ?) ON CONFLICT (id) DO NOTHING`, id, exp)
		if err != nil {
			return fmt.Errorf("recording used nonce: %w", err)
		}
		first, err = changedOne(res)
		return err
	})
	return first, err
}

// SweepNonces deletes records of nonces that expired before before.
func (s *Store) SweepNonces(ctx context.Context, before time.Time) (int64, error) {
	var e encoder
	at := e.time(before)
	if e.err != nil {
		return 0, e.err
	}
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM used_nonces WHERE expires < ?`, at)
		if err != nil {
			return fmt.Errorf("sweeping used nonces: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// AcquireLease is one upsert whose update applies only when the lease is
// expired or already ours; a lost race changes no row.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now, expires time.Time) (bool, error) {
	var e encoder
	at, exp := e.time(now), e.time(expires)
	if e.err != nil {
		return false, e.err
	}
	var ok bool
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO leases (name, holder, expires) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires
			WHERE leases.holder = excluded.holder OR leases.expires <= ?`, name, holder, exp, at)
		if err != nil {
			return fmt.Errorf("acquiring lease %s: %w", name, err)
		}
		ok, err = changedOne(res)
		return err
	})
	return ok, err
}

// ReleaseLease ends holder's lease now.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM leases WHERE name = ? AND holder = ?`, name, holder); err != nil {
			return fmt.Errorf("releasing lease %s: %w", name, err)
		}
		return nil
	})
}

// SharedSecret inserts fresh unless name exists, then reads what is
// stored, in one write transaction.
func (s *Store) SharedSecret(ctx context.Context, name string, fresh []byte) ([]byte, error) {
	if len(fresh) == 0 {
		return nil, fmt.Errorf("shared secret %s: empty value", name)
	}
	var v []byte
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO shared_secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, fresh); err != nil {
			return fmt.Errorf("storing shared secret %s: %w", name, err)
		}
		if err := tx.QueryRowContext(ctx, `SELECT value FROM shared_secrets WHERE name = ?`, name).Scan(&v); err != nil {
			return fmt.Errorf("reading shared secret %s: %w", name, err)
		}
		return nil
	})
	return v, err
}

// Ping runs a query on the read pool: it fails when the file cannot be
// read, without waiting behind a long write.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.reader.QueryRowContext(ctx, `SELECT 1 FROM schema_migrations LIMIT 1`).Scan(&one); err != nil {
		return fmt.Errorf("pinging database: %w", err)
	}
	return nil
}
