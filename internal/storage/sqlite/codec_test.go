package sqlite

import (
	"database/sql"
	"testing"
	"time"
)

func TestEncodeTime(t *testing.T) {
	tests := []struct {
		name    string
		in      time.Time
		want    any
		wantErr bool
	}{
		{"zero is NULL", time.Time{}, nil, false},
		{"epoch", time.Unix(0, 0), int64(0), false},
		{"nanoseconds kept", time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC), time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC).UnixNano(), false},
		{"other zone stored as the same instant", time.Date(2030, 1, 2, 4, 4, 5, 6, time.FixedZone("CET", 3600)), time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC).UnixNano(), false},
		{"too late", time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), nil, true},
		{"too early", time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC), nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e encoder
			got := e.time(tc.in)
			if got != tc.want || (e.err != nil) != tc.wantErr {
				t.Fatalf("time(%s): got %v, error %v; want %v, error %v", tc.in, got, e.err, tc.want, tc.wantErr)
			}
			if n, ok := got.(int64); ok {
				if back := timeFrom(sql.NullInt64{Int64: n, Valid: true}); !back.Equal(tc.in) || back.Location() != time.UTC {
					t.Errorf("timeFrom(time(%s)): got %s, want the same instant in UTC", tc.in, back)
				}
			}
		})
	}
}
