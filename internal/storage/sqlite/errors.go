package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	sqlitedrv "modernc.org/sqlite" // also registers the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/quarry-ca/quarry/internal/core"
)

// isUniqueViolation reports whether err is a UNIQUE or PRIMARY KEY
// constraint failure.
func isUniqueViolation(err error) bool {
	var se *sqlitedrv.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// changedOne reports whether an UPDATE changed a row; a compare-and-set
// that changed none lost (or its row is missing).
func changedOne(res sql.Result) (bool, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("counting changed rows: %w", err)
	}
	return n > 0, nil
}

// isForeignKeyViolation reports whether err is a FOREIGN KEY constraint
// failure: a row referred to a missing one.
func isForeignKeyViolation(err error) bool {
	var se *sqlitedrv.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// whyUnchanged explains a compare-and-set that changed nothing: the row is
// missing (core.ErrNotFound) or was not in the expected state
// (core.ErrConflict). query selects the row's status by key.
func whyUnchanged(ctx context.Context, tx *sql.Tx, what string, query string, key any) error {
	var status string
	err := tx.QueryRowContext(ctx, query, key).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return core.Errorf(core.ErrNotFound, "no %s %v", what, key)
	} else if err != nil {
		return fmt.Errorf("reading %s %v: %w", what, key, err)
	}
	return core.Errorf(core.ErrConflict, "%s %v is %s", what, key, status)
}
