package sqlbase

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// Encoder turns domain values into column values, keeping the first error
// so a row's arguments can be built in one expression and checked once.
type Encoder struct{ Err error }

// Time encodes t as UTC unix nanoseconds, the zero time as NULL.
func (e *Encoder) Time(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	n := t.UnixNano()
	// UnixNano is undefined outside about 1678-2262; refuse rather than
	// store a wrong instant.
	if !time.Unix(0, n).Equal(t) {
		e.fail(fmt.Errorf("time %s is outside the storable range", t.Format(time.RFC3339)))
		return nil
	}
	return n
}

// JSON encodes v as JSON text.
func (e *Encoder) JSON(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		e.fail(fmt.Errorf("encoding %T: %w", v, err))
		return nil
	}
	return string(b)
}

// Problem encodes a core.Error as JSON text, nil as NULL.
func (e *Encoder) Problem(ce *core.Error) any {
	if ce == nil {
		return nil
	}
	return e.JSON(toErrorRow(ce))
}

func (e *Encoder) fail(err error) {
	if e.Err == nil {
		e.Err = err
	}
}

// TimeFrom decodes a time column.
func TimeFrom(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

// JSONFrom decodes a JSON column into v; NULL leaves v as it is.
func JSONFrom(s sql.NullString, v any) error {
	if !s.Valid {
		return nil
	}
	if err := json.Unmarshal([]byte(s.String), v); err != nil {
		return fmt.Errorf("decoding stored %T: %w", v, err)
	}
	return nil
}

// ProblemFrom decodes an error column.
func ProblemFrom(s sql.NullString) (*core.Error, error) {
	if !s.Valid {
		return nil, nil
	}
	var row errorRow
	if err := JSONFrom(s, &row); err != nil {
		return nil, err
	}
	return row.toCore(), nil
}

// errorRow is how a core.Error is stored: its client-facing parts.
// RetryAfter is a rate-limit hint for one response and is not kept.
type errorRow struct {
	Kind       string           `json:"kind"`
	Detail     string           `json:"detail,omitempty"`
	Identifier *acme.Identifier `json:"identifier,omitempty"`
	Sub        []errorRow       `json:"sub,omitempty"`
}

func toErrorRow(ce *core.Error) errorRow {
	row := errorRow{Kind: string(ce.Kind), Detail: ce.Detail, Identifier: ce.Identifier}
	for _, sub := range ce.Sub {
		if sub != nil {
			row.Sub = append(row.Sub, toErrorRow(sub))
		}
	}
	return row
}

func (row errorRow) toCore() *core.Error {
	ce := &core.Error{Kind: core.Kind(row.Kind), Detail: row.Detail, Identifier: row.Identifier}
	for _, sub := range row.Sub {
		ce.Sub = append(ce.Sub, sub.toCore())
	}
	return ce
}

// NonNil stores an absent list as [] so the column never holds null.
func NonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// NullIfEmpty stores an empty string as NULL.
func NullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
