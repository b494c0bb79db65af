package config

import (
	"errors"
	"path/filepath"
	"strings"
)

// StorageDSN is the storage the server uses: the storage key if set,
// otherwise the SQLite file quarry.db in the data directory.
func (c *Config) StorageDSN() string {
	if c.Storage != "" {
		return c.Storage
	}
	return "sqlite:" + filepath.Join(c.DataDir, "quarry.db")
}

// validateStorage checks the storage key's form; opening it checks the
// rest. The message never repeats the value, which may hold a password.
func (c *Config) validateStorage() error {
	s := c.Storage
	switch {
	case s == "":
	case strings.HasPrefix(s, "sqlite:") && len(s) > len("sqlite:"):
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
	default:
		return errors.New("storage: want sqlite:PATH, postgres://… or postgresql://… (empty: sqlite in data-dir)")
	}
	return nil
}
