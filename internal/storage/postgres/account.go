package postgres

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/storage/sqlbase"
)

const accountColumns = `id, key_json, key_id, contact, status, terms_agreed, eab_kid, created_at, initial_ip`

// NewAccount inserts acct and sets acct.ID; a KeyID already stored is
// core.ErrConflict.
func (s *Store) NewAccount(ctx context.Context, acct *core.Account) error {
	var e sqlbase.Encoder
	args := []any{sqlbase.NonNil(acct.Key), acct.KeyID, e.JSON(sqlbase.NonNil(acct.Contact)), string(acct.Status),
		acct.TermsAgreed, acct.EABKeyID, e.Time(acct.CreatedAt), acct.InitialIP}
	if e.Err != nil {
		return fmt.Errorf("storing account: %w", e.Err)
	}
	var id int64
	err := s.pool.QueryRow(ctx, `INSERT INTO accounts
		(key_json, key_id, contact, status, terms_agreed, eab_kid, created_at, initial_ip)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, args...).Scan(&id)
	if isUniqueViolation(err) {
		return core.Errorf(core.ErrConflict, "an account with this key already exists")
	} else if err != nil {
		return fmt.Errorf("inserting account: %w", err)
	}
	acct.ID = id
	return nil
}

// GetAccount returns the account with id.
func (s *Store) GetAccount(ctx context.Context, id int64) (*core.Account, error) {
	return scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1`, id))
}

// GetAccountByKeyID returns the account whose key has thumbprint keyID.
func (s *Store) GetAccountByKeyID(ctx context.Context, keyID string) (*core.Account, error) {
	return scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE key_id = $1`, keyID))
}

// UpdateAccount writes acct's Contact, Status, Key and KeyID.
func (s *Store) UpdateAccount(ctx context.Context, acct *core.Account) error {
	var e sqlbase.Encoder
	args := []any{e.JSON(sqlbase.NonNil(acct.Contact)), string(acct.Status), sqlbase.NonNil(acct.Key), acct.KeyID, acct.ID}
	if e.Err != nil {
		return fmt.Errorf("updating account: %w", e.Err)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE accounts SET contact = $1, status = $2, key_json = $3, key_id = $4
		WHERE id = $5`, args...)
	if isUniqueViolation(err) {
		return core.Errorf(core.ErrConflict, "the key is already in use by another account")
	} else if err != nil {
		return fmt.Errorf("updating account: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return core.Errorf(core.ErrNotFound, "no account %d", acct.ID)
	}
	return nil
}

func scanAccount(row pgx.Row) (*core.Account, error) {
	var (
		a       core.Account
		status  string
		contact sql.NullString
		created sql.NullInt64
	)
	err := row.Scan(&a.ID, &a.Key, &a.KeyID, &contact, &status, &a.TermsAgreed, &a.EABKeyID, &created, &a.InitialIP)
	if noRows(err) {
		return nil, core.Errorf(core.ErrNotFound, "no such account")
	} else if err != nil {
		return nil, fmt.Errorf("reading account: %w", err)
	}
	if err := sqlbase.JSONFrom(contact, &a.Contact); err != nil {
		return nil, err
	}
	if len(a.Contact) == 0 {
		a.Contact = nil
	}
	if len(a.Key) == 0 {
		a.Key = nil
	}
	a.Status = acme.Status(status)
	a.CreatedAt = sqlbase.TimeFrom(created)
	return &a, nil
}
