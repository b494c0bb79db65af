package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/quarry-ca/quarry/internal/storage"
)

var _ storage.Store = (*Store)(nil)

// Connection settings. busy_timeout (ms) bounds the wait for a lock
// another process holds (a second quarry on the file, a backup).
// synchronous=FULL in WAL mode syncs the log on every commit, so a
// committed issuance survives power loss, not only a process crash.
// Writes BEGIN IMMEDIATE so a transaction takes the write lock before it
// reads, and never fails to upgrade half-way. The writer leaves
// checkpoints to a connection of their own (checkpoint.go).
const (
	writerParams     = "_busy_timeout=10000&_journal_mode=WAL&_synchronous=FULL&_foreign_keys=1&_txlock=immediate&_dqs=0&_pragma=wal_autocheckpoint(0)"
	readerParams     = "_busy_timeout=10000&_foreign_keys=1&_query_only=1&_dqs=0"
	checkpointParams = "_busy_timeout=10000&_synchronous=FULL&_dqs=0"
)

// readConns is the size of the read pool; WAL lets readers run beside the
// one writer.
const readConns = 8

// Store is a storage.Store on one SQLite database file. It is safe for
// concurrent use.
type Store struct {
	writer  *sql.DB // one connection: writes are serialized here
	reader  *sql.DB // read-only pool
	commits *committer
	ckpt    *checkpointer
}

// Open opens or creates the database at path, applies pending schema
// migrations, and refuses a database whose schema is newer than this code
// (a *SchemaVersionError).
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("opening database: empty path")
	}
	if err := createPrivate(filepath.Clean(path)); err != nil {
		return nil, err
	}
	name := "file:" + escapePath(filepath.Clean(path))
	writer, err := openDB(name + "?" + writerParams)
	if err != nil {
		return nil, fmt.Errorf("opening database %s: %w", path, err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)
	s := &Store{writer: writer, commits: newCommitter(writer)}
	if err := s.prepare(ctx, path); err != nil {
		s.commits.close()
		writer.Close()
		return nil, err
	}
	reader, err := openDB(name + "?" + readerParams)
	if err != nil {
		s.commits.close()
		writer.Close()
		return nil, fmt.Errorf("opening database %s for reading: %w", path, err)
	}
	reader.SetMaxOpenConns(readConns)
	reader.SetMaxIdleConns(readConns)
	s.reader = reader
	if s.ckpt, err = startCheckpointer(name + "?" + checkpointParams); err != nil {
		s.Close()
		return nil, fmt.Errorf("opening database %s for checkpoints: %w", path, err)
	}
	return s, nil
}

// prepare checks the journal mode took and migrates the schema.
func (s *Store) prepare(ctx context.Context, path string) error {
	var mode string
	if err := s.writer.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("opening database %s: %w", path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("opening database %s: journal mode is %q, want wal (is the file system local?)", path, mode)
	}
	if err := s.migrate(ctx); err != nil {
		return fmt.Errorf("migrating database %s: %w", path, err)
	}
	return nil
}

// Close closes both pools. The last connection to close checkpoints the
// write-ahead log into the database file.
func (s *Store) Close() error {
	var cerr error
	if s.ckpt != nil {
		cerr = s.ckpt.close()
		s.ckpt = nil
	}
	s.commits.close()
	var rerr error
	if s.reader != nil {
		rerr = s.reader.Close()
	}
	return errors.Join(cerr, rerr, s.writer.Close())
}

// escapePath makes a file name safe inside a "file:" URI, whose query and
// fragment would otherwise start at '?' or '#'.
func escapePath(p string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(p)
}

// write runs f in one immediate (write-locked) transaction on the writer;
// transactions queued together share a commit (groupcommit.go).
func (s *Store) write(ctx context.Context, f func(tx *sql.Tx) error) error {
	return s.commits.do(ctx, f)
}

// read runs f in one read-only transaction, so several queries see one
// snapshot.
func (s *Store) read(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := s.reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("beginning read transaction: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only: nothing to lose
	return f(tx)
}
