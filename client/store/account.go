package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"time"

	"github.com/quarry-ca/quarry/internal/core"
)

// Account is what account.json holds about one ACME account.
type Account struct {
	ID        string    `json:"id"`
	Server    string    `json:"server"` // the directory URL
	URL       string    `json:"url"`
	Contact   []string  `json:"contact,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// SaveAccount writes the account's key (PEM, 0600) then account.json, so
// an account.json on disk always has its key beside it.
func (s *Store) SaveAccount(a Account, keyPEM []byte) error {
	dir, err := s.accountDir(a.Server, a.ID)
	if err != nil {
		return err
	}
	if err := mkdirs(dir); err != nil {
		return err
	}
	data, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding account: %w", err)
	}
	if err := writeFile(dir+"/private_key.pem", keyPEM, 0o600); err != nil {
		return err
	}
	return writeFile(dir+"/account.json", append(data, '\n'), 0o644)
}

// LoadAccount reads one account and its key PEM.
func (s *Store) LoadAccount(server, id string) (Account, []byte, error) {
	dir, err := s.accountDir(server, id)
	if err != nil {
		return Account{}, nil, err
	}
	data, err := os.ReadFile(dir + "/account.json")
	if errors.Is(err, fs.ErrNotExist) {
		return Account{}, nil, core.Errorf(core.ErrNotFound, "no account %s for %s", id, server)
	}
	if err != nil {
		return Account{}, nil, fmt.Errorf("reading account: %w", err)
	}
	var a Account
	if err := json.Unmarshal(data, &a); err != nil {
		return Account{}, nil, fmt.Errorf("decoding %s/account.json: %w", dir, err)
	}
	key, err := os.ReadFile(dir + "/private_key.pem")
	if err != nil {
		return Account{}, nil, fmt.Errorf("reading account key: %w", err)
	}
	return a, key, nil
}

// Accounts lists the account IDs stored for a server, oldest first.
func (s *Store) Accounts(server string) ([]Account, error) {
	host, err := ServerDir(server)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(s.path("accounts", host))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing accounts: %w", err)
	}
	var out []Account
	for _, e := range entries {
		a, _, err := s.LoadAccount(server, e.Name())
		if errors.Is(err, core.ErrNotFound) {
			continue // a directory left by a crash before account.json
		}
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, nil
}

func (s *Store) accountDir(server, id string) (string, error) {
	host, err := ServerDir(server)
	if err != nil {
		return "", err
	}
	if err := checkName("account id", id); err != nil {
		return "", err
	}
	return s.path("accounts", host, id), nil
}

// UpdateAccount rewrites account.json (after a contact change), leaving the
// key as it is.
func (s *Store) UpdateAccount(a Account) error {
	dir, err := s.accountDir(a.Server, a.ID)
	if err != nil {
		return err
	}
	if _, err := os.Stat(dir + "/account.json"); err != nil {
		return core.Errorf(core.ErrNotFound, "no account %s for %s", a.ID, a.Server)
	}
	data, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding account: %w", err)
	}
	return writeFile(dir+"/account.json", append(data, '\n'), 0o644)
}

// DeleteAccount removes an account's directory, key included; for an
// account the server has deactivated, whose key can do nothing more.
func (s *Store) DeleteAccount(server, id string) error {
	dir, err := s.accountDir(server, id)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("deleting account %s: %w", id, err)
	}
	return nil
}

// A key rollover is made crash-safe by a pending key: it is written before
// the server is asked to switch, so whatever the server decided, the key
// it now knows is on disk. The next run asks the server which one it knows
// and promotes or drops the pending key.

// SavePendingKey writes pending_key.pem (0600) beside the account's key.
func (s *Store) SavePendingKey(server, id string, keyPEM []byte) error {
	dir, err := s.accountDir(server, id)
	if err != nil {
		return err
	}
	return writeFile(dir+"/pending_key.pem", keyPEM, 0o600)
}

// PendingKey returns the pending key PEM, or nil when no rollover is
// unfinished.
func (s *Store) PendingKey(server, id string) ([]byte, error) {
	dir, err := s.accountDir(server, id)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(dir + "/pending_key.pem")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading pending account key: %w", err)
	}
	return b, nil
}

// PromotePendingKey makes the pending key the account's key, in one rename.
func (s *Store) PromotePendingKey(server, id string) error {
	dir, err := s.accountDir(server, id)
	if err != nil {
		return err
	}
	if err := os.Rename(dir+"/pending_key.pem", dir+"/private_key.pem"); err != nil {
		return fmt.Errorf("switching to the new account key: %w", err)
	}
	return syncDir(dir)
}

// DropPendingKey removes a pending key the server never accepted.
func (s *Store) DropPendingKey(server, id string) error {
	dir, err := s.accountDir(server, id)
	if err != nil {
		return err
	}
	if err := os.Remove(dir + "/pending_key.pem"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing pending account key: %w", err)
	}
	return syncDir(dir)
}

// WriteFile writes path atomically with mode perm, for files mason writes
// outside the store (--csr outputs, schedule units).
func WriteFile(path string, data []byte, perm os.FileMode) error {
	return writeFile(path, data, perm)
}
