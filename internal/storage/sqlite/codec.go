package sqlite

import (
	"database/sql"
	"time"

	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/storage/sqlbase"
)

// The row codec is shared with the PostgreSQL backend (sqlbase), so a row
// copied between the two means the same; these names keep this package's
// call sites short.

// encoder turns domain values into column values, keeping the first error
// so a row's arguments can be built in one expression and checked once.
type encoder struct{ err error }

// time encodes t as UTC unix nanoseconds, the zero time as NULL.
func (e *encoder) time(t time.Time) any {
	return e.keep(func(b *sqlbase.Encoder) any { return b.Time(t) })
}

// json encodes v as JSON text.
func (e *encoder) json(v any) any { return e.keep(func(b *sqlbase.Encoder) any { return b.JSON(v) }) }

// problem encodes a core.Error as JSON text, nil as NULL.
func (e *encoder) problem(ce *core.Error) any {
	return e.keep(func(b *sqlbase.Encoder) any { return b.Problem(ce) })
}

func (e *encoder) keep(f func(*sqlbase.Encoder) any) any {
	var b sqlbase.Encoder
	v := f(&b)
	if e.err == nil {
		e.err = b.Err
	}
	return v
}

func timeFrom(n sql.NullInt64) time.Time                { return sqlbase.TimeFrom(n) }
func jsonFrom(s sql.NullString, v any) error            { return sqlbase.JSONFrom(s, v) }
func problemFrom(s sql.NullString) (*core.Error, error) { return sqlbase.ProblemFrom(s) }
func nonNil[T any](s []T) []T                           { return sqlbase.NonNil(s) }
func nullIfEmpty(s string) any                          { return sqlbase.NullIfEmpty(s) }
