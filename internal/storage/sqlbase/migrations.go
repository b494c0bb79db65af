package sqlbase

import (
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// Migration is one schema version: a file named NNNN_name.sql.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// ReadMigrations returns the migrations in dir of fsys in ascending
// version order. Versions need not be contiguous: work developed in
// parallel claims its own number, and a database applies every version it
// lacks. Each backend keeps its own files under the same numbers.
func ReadMigrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, fmt.Errorf("reading migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries { // ReadDir sorts by name
		prefix, _, _ := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(prefix)
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a version number", e.Name())
		}
		if v < 1 || (len(out) > 0 && v <= out[len(out)-1].Version) {
			return nil, fmt.Errorf("migration %s: version %d is out of order or repeated", e.Name(), v)
		}
		body, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("reading migration %s: %w", e.Name(), err)
		}
		out = append(out, Migration{Version: v, Name: e.Name(), SQL: string(body)})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no migrations in %s", dir)
	}
	return out, nil
}

// SchemaVersionError reports a database written by a newer Quarry: this
// code does not know its schema and must not write to it.
type SchemaVersionError struct {
	Have  int // the database's schema version
	Known int // the newest version this code knows
}

func (e *SchemaVersionError) Error() string {
	return fmt.Sprintf("the database schema is version %d but this quarry knows only up to %d; run a newer quarry or restore a backup", e.Have, e.Known)
}

// CheckKnown returns a *SchemaVersionError when applied holds a version
// newer than the newest of all.
func CheckKnown(all []Migration, applied map[int]bool) error {
	known := all[len(all)-1].Version
	have := 0
	for v := range applied {
		have = max(have, v)
	}
	if have > known {
		return &SchemaVersionError{Have: have, Known: known}
	}
	return nil
}
