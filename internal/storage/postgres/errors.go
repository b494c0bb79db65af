package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/quarry-ca/quarry/internal/core"
)

// SQLSTATE codes this package tells apart.
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
)

func hasCode(err error, code string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == code
}

// isUniqueViolation reports whether err is a UNIQUE or PRIMARY KEY
// constraint failure.
func isUniqueViolation(err error) bool { return hasCode(err, uniqueViolation) }

// isForeignKeyViolation reports whether err is a FOREIGN KEY constraint
// failure: a row referred to a missing one.
func isForeignKeyViolation(err error) bool { return hasCode(err, foreignKeyViolation) }

// whyUnchanged explains a compare-and-set that changed nothing: the row is
// missing (core.ErrNotFound) or was not in the expected state
// (core.ErrConflict). query selects the row's status by key.
func whyUnchanged(ctx context.Context, tx pgx.Tx, what string, query string, key any) error {
	var status string
	err := tx.QueryRow(ctx, query, key).Scan(&status)
	if noRows(err) {
		return core.Errorf(core.ErrNotFound, "no %s %v", what, key)
	} else if err != nil {
		return fmt.Errorf("reading %s %v: %w", what, key, err)
	}
	return core.Errorf(core.ErrConflict, "%s %v is %s", what, key, status)
}
