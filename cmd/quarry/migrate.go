package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/quarry-ca/quarry/internal/storage/backend"
	"github.com/quarry-ca/quarry/internal/storage/postgres"
	"github.com/quarry-ca/quarry/internal/storage/sqlite"
)

const migrateUsage = `Usage:
  quarry migrate [--storage DSN | --config FILE | --data-dir DIR]
      apply pending schema migrations and print the schema version
  quarry migrate --from sqlite:PATH --to postgres://…
      copy every table of an SQLite database into an empty PostgreSQL one

`

func cmdMigrate(args []string, stdout, stderr io.Writer) error {
	fs := newCommandFlags("migrate", migrateUsage, stderr)
	configPath := fs.String("config", "", "YAML configuration `file` whose storage (or data-dir) to migrate")
	dataDir := fs.String("data-dir", "", "data `directory` whose quarry.db to migrate (default ./quarry-data)")
	storageDSN := fs.String("storage", "", "storage `DSN` to migrate: sqlite:PATH or postgres://…")
	from := fs.String("from", "", "SQLite database to copy from: sqlite:`PATH`")
	to := fs.String("to", "", "empty PostgreSQL database to copy into: postgres://`…`")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if *from != "" || *to != "" {
		if *from == "" || *to == "" {
			return usageError{errors.New("--from and --to go together")}
		}
		if *storageDSN != "" || *configPath != "" || *dataDir != "" {
			return usageError{errors.New("--from/--to name both databases; leave out --storage, --config and --data-dir")}
		}
		return copyStorage(ctx, *from, *to, stdout)
	}

	cfg, err := storageConfig(*configPath, *dataDir, *storageDSN)
	if err != nil {
		return err
	}
	dsn := cfg.StorageDSN()
	kind, target, err := backend.Parse(dsn)
	if err != nil {
		return usageError{err}
	}
	if kind == backend.SQLite {
		// As quarry serve does: a first migrate creates the database.
		if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
			return fmt.Errorf("creating the database directory: %w", err)
		}
	}
	s, err := backend.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer s.Close()
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Storage %s is at schema version %d.\n", backend.Redact(dsn), v)
	return nil
}

// copyStorage copies an SQLite database into an empty PostgreSQL one.
func copyStorage(ctx context.Context, from, to string, stdout io.Writer) error {
	fromKind, path, err := backend.Parse(from)
	if err != nil || fromKind != backend.SQLite {
		return usageError{errors.New("--from must be sqlite:PATH")}
	}
	if toKind, _, err := backend.Parse(to); err != nil || toKind != backend.Postgres {
		return usageError{errors.New("--to must be a postgres:// or postgresql:// URL")}
	}
	// sqlite.Open would create a missing file: copying nothing must not
	// look like success.
	if st, err := os.Stat(path); err != nil || !st.Mode().IsRegular() {
		return fmt.Errorf("no SQLite database at %s; check the --from path", path)
	}
	src, err := sqlite.Open(ctx, path)
	if err != nil {
		return fmt.Errorf("opening %s: %w", from, err)
	}
	defer src.Close()
	dst, err := postgres.Open(ctx, to)
	if err != nil {
		return fmt.Errorf("opening %s: %w", backend.Redact(to), err)
	}
	defer dst.Close()
	for _, s := range []struct {
		name  string
		store interface {
			SchemaVersion(context.Context) (int, error)
		}
	}{{from, src}, {backend.Redact(to), dst}} {
		v, err := s.store.SchemaVersion(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: schema version %d\n", s.name, v)
	}
	fmt.Fprintln(stdout, "Copying a snapshot in one transaction (writes made to the source from now on are not copied):")
	counts, err := dst.CopyFromSQLite(ctx, src.ReadOnlyDB(), func(c postgres.TableCount) {
		fmt.Fprintf(stdout, "  %-20s %8d rows\n", c.Table, c.Rows)
	})
	if err != nil {
		return fmt.Errorf("copying (nothing was written to the target): %w", err)
	}
	var total int64
	for _, c := range counts {
		total += c.Rows
	}
	fmt.Fprintf(stdout, "Copied %d rows in %d tables; every table's row count matches the source.\n", total, len(counts))
	fmt.Fprintln(stdout, "Start quarry with --storage set to the --to URL (or storage: in its configuration).")
	return nil
}
