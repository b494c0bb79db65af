package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/quarry-ca/quarry/internal/storage"
	"github.com/quarry-ca/quarry/internal/storage/sqlbase"
)

var _ storage.ClusterStore = (*Store)(nil)

// UseNonce inserts the nonce's row; of concurrent inserts of one id, on
// any instance, only the one whose row took sees true.
func (s *Store) UseNonce(ctx context.Context, id []byte, expires time.Time) (bool, error) {
	var e sqlbase.Encoder
	exp := e.Time(expires)
	if e.Err != nil {
		return false, e.Err
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO used_nonces (id, expires) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`, id, exp)
	if err != nil {
		return false, fmt.Errorf("recording used nonce: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// SweepNonces deletes records of nonces that expired before before.
func (s *Store) SweepNonces(ctx context.Context, before time.Time) (int64, error) {
	var e sqlbase.Encoder
	at := e.Time(before)
	if e.Err != nil {
		return 0, e.Err
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM used_nonces WHERE expires < $1`, at)
	if err != nil {
		return 0, fmt.Errorf("sweeping used nonces: %w", err)
	}
	return tag.RowsAffected(), nil
}

// AcquireLease is one upsert whose update applies only when the lease is
// expired or already ours; a lost race changes no row.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, now, expires time.Time) (bool, error) {
	var e sqlbase.Encoder
	at, exp := e.Time(now), e.Time(expires)
	if e.Err != nil {
		return false, e.Err
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO leases (name, holder, expires) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires
		WHERE leases.holder = excluded.holder OR leases.expires <= $4`, name, holder, exp, at)
	if err != nil {
		return false, fmt.Errorf("acquiring lease %s: %w", name, err)
	}
	return tag.RowsAffected() == 1, nil
}

// ReleaseLease ends holder's lease now.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM leases WHERE name = $1 AND holder = $2`, name, holder); err != nil {
		return fmt.Errorf("releasing lease %s: %w", name, err)
	}
	return nil
}

// SharedSecret inserts fresh unless name exists, then returns what is
// stored; the insert's conflict check makes the first writer win.
func (s *Store) SharedSecret(ctx context.Context, name string, fresh []byte) ([]byte, error) {
	if len(fresh) == 0 {
		return nil, fmt.Errorf("shared secret %s: empty value", name)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO shared_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, fresh); err != nil {
		return nil, fmt.Errorf("storing shared secret %s: %w", name, err)
	}
	var v []byte
	if err := s.pool.QueryRow(ctx, `SELECT value FROM shared_secrets WHERE name = $1`, name).Scan(&v); err != nil {
		return nil, fmt.Errorf("reading shared secret %s: %w", name, err)
	}
	return v, nil
}
