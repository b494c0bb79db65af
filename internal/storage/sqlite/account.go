package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

const accountColumns = `id, key_json, key_id, contact, status, terms_agreed, eab_kid, created_at, initial_ip`

// NewAccount inserts acct and sets acct.ID; a KeyID already stored is
// core.ErrConflict.
func (s *Store) NewAccount(ctx context.Context, acct *core.Account) error {
	var e encoder
	args := []any{nonNil(acct.Key), acct.KeyID, e.json(nonNil(acct.Contact)), string(acct.Status),
		acct.TermsAgreed, acct.EABKeyID, e.time(acct.CreatedAt), acct.InitialIP}
	if e.err != nil {
		return fmt.Errorf("storing account: %w", e.err)
	}
	var id int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO accounts
			(key_json, key_id, contact, status, terms_agreed, eab_kid, created_at, initial_ip)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, args...)
		if isUniqueViolation(err) {
			return core.Errorf(core.ErrConflict, "an account with this key already exists")
		} else if err != nil {
			return fmt.Errorf("inserting account: %w", err)
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return err
	}
	acct.ID = id
	return nil
}

// GetAccount returns the account with id.
func (s *Store) GetAccount(ctx context.Context, id int64) (*core.Account, error) {
	row := s.reader.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = ?`, id)
	return scanAccount(row)
}

// GetAccountByKeyID returns the account whose key has thumbprint keyID.
func (s *Store) GetAccountByKeyID(ctx context.Context, keyID string) (*core.Account, error) {
	row := s.reader.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE key_id = ?`, keyID)
	return scanAccount(row)
}

// UpdateAccount writes acct's Contact, Status, Key and KeyID.
func (s *Store) UpdateAccount(ctx context.Context, acct *core.Account) error {
	var e encoder
	args := []any{e.json(nonNil(acct.Contact)), string(acct.Status), nonNil(acct.Key), acct.KeyID, acct.ID}
	if e.err != nil {
		return fmt.Errorf("updating account: %w", e.err)
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE accounts SET contact = ?, status = ?, key_json = ?, key_id = ?
			WHERE id = ?`, args...)
		if isUniqueViolation(err) {
			return core.Errorf(core.ErrConflict, "the key is already in use by another account")
		} else if err != nil {
			return fmt.Errorf("updating account: %w", err)
		}
		if ok, err := changedOne(res); err != nil {
			return err
		} else if !ok {
			return core.Errorf(core.ErrNotFound, "no account %d", acct.ID)
		}
		return nil
	})
}

func scanAccount(row *sql.Row) (*core.Account, error) {
	var (
		a       core.Account
		status  string
		contact sql.NullString
		created sql.NullInt64
	)
	err := row.Scan(&a.ID, &a.Key, &a.KeyID, &contact, &status, &a.TermsAgreed, &a.EABKeyID, &created, &a.InitialIP)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, core.Errorf(core.ErrNotFound, "no such account")
	} else if err != nil {
		return nil, fmt.Errorf("reading account: %w", err)
	}
	if err := jsonFrom(contact, &a.Contact); err != nil {
		return nil, err
	}
	if len(a.Contact) == 0 {
		a.Contact = nil
	}
	if len(a.Key) == 0 {
		a.Key = nil
	}
	a.Status = acme.Status(status)
	a.CreatedAt = timeFrom(created)
	return &a, nil
}
