package sqlite

import (
	"database/sql"
	"testing"
	"time"
)

// The encoding itself is sqlbase's and tested there; what this package
// adds is an encoder that keeps a row's first error across its arguments.
func TestEncoderKeepsFirstError(t *testing.T) {
	good := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	tooLate := time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		encode  func(e *encoder)
		wantErr bool
	}{
		{"all good", func(e *encoder) { e.time(good); e.json([]string{"a"}); e.problem(nil) }, false},
		{"bad time first", func(e *encoder) { e.time(tooLate); e.time(good) }, true},
		{"bad time last", func(e *encoder) { e.time(good); e.time(tooLate) }, true},
		{"bad JSON", func(e *encoder) { e.json(make(chan int)) }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e encoder
			tc.encode(&e)
			if (e.err != nil) != tc.wantErr {
				t.Fatalf("got error %v, want error %v", e.err, tc.wantErr)
			}
		})
	}
	t.Run("the first of two errors", func(t *testing.T) {
		var e encoder
		e.time(tooLate)
		first := e.err
		e.json(make(chan int))
		if first == nil || e.err != first {
			t.Errorf("got error %v, want the first one, %v", e.err, first)
		}
	})
	t.Run("round trip", func(t *testing.T) {
		var e encoder
		n, ok := e.time(good).(int64)
		if !ok || e.err != nil {
			t.Fatalf("time(%s): got a %T, error %v; want int64 nanoseconds", good, e.time(good), e.err)
		}
		if back := timeFrom(sql.NullInt64{Int64: n, Valid: true}); !back.Equal(good) {
			t.Errorf("timeFrom(time(%s)): got %s, want the same instant", good, back)
		}
	})
}
