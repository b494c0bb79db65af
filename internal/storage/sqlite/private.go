package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// createPrivate creates the database file, when it does not exist yet,
// readable by its owner only: it holds account contacts and, with shared
// nonces, the key that MACs them. SQLite gives its -wal and -shm files the
// database file's permissions; left to itself it would create all three
// world-readable (0644 under the usual umask). An existing file keeps the
// permissions its operator gave it.
func createPrivate(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case errors.Is(err, fs.ErrExist):
		return nil
	case err != nil:
		return fmt.Errorf("creating database %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("creating database %s: %w", path, err)
	}
	return nil
}
