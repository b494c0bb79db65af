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
