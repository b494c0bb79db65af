package sqlbase

import (
	"database/sql"
	"reflect"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
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
			var e Encoder
			got := e.Time(tc.in)
			if got != tc.want || (e.Err != nil) != tc.wantErr {
				t.Fatalf("Time(%s): got %v, error %v; want %v, error %v", tc.in, got, e.Err, tc.want, tc.wantErr)
			}
			if n, ok := got.(int64); ok {
				if back := TimeFrom(sql.NullInt64{Int64: n, Valid: true}); !back.Equal(tc.in) || back.Location() != time.UTC {
					t.Errorf("TimeFrom(Time(%s)): got %s, want the same instant in UTC", tc.in, back)
				}
			}
		})
	}
}

func TestProblemRoundTrip(t *testing.T) {
	id := acme.Identifier{Type: acme.IdentifierDNS, Value: "a.example"}
	tests := []struct {
		name string
		in   *core.Error
	}{
		{"nil is NULL", nil},
		{"plain", &core.Error{Kind: core.ErrMalformed, Detail: "bad"}},
		{"with subproblems", &core.Error{Kind: core.ErrRejectedIdentifier, Detail: "x",
			Sub: []*core.Error{{Kind: core.ErrCAA, Detail: "no", Identifier: &id}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var e Encoder
			v := e.Problem(tc.in)
			if e.Err != nil {
				t.Fatalf("Problem: got error %v, want none", e.Err)
			}
			col := sql.NullString{}
			if s, ok := v.(string); ok {
				col = sql.NullString{String: s, Valid: true}
			}
			got, err := ProblemFrom(col)
			if err != nil {
				t.Fatalf("ProblemFrom: got error %v, want none", err)
			}
			if !reflect.DeepEqual(got, tc.in) {
				t.Errorf("round trip: got %+v, want %+v", got, tc.in)
			}
		})
	}
}

func TestIdentifierOf(t *testing.T) {
	tests := []struct {
		name, in     string
		want         acme.Identifier
		wantWildcard bool
	}{
		{"dns lower-cased", "A.Example", acme.Identifier{Type: acme.IdentifierDNS, Value: "a.example"}, false},
		{"wildcard", "*.b.example", acme.Identifier{Type: acme.IdentifierDNS, Value: "b.example"}, true},
		{"ipv4", "192.0.2.1", acme.Identifier{Type: acme.IdentifierIP, Value: "192.0.2.1"}, false},
		{"ipv6 canonical", "2001:DB8::0:1", acme.Identifier{Type: acme.IdentifierIP, Value: "2001:db8::1"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, wild := IdentifierOf(tc.in)
			if got != tc.want || wild != tc.wantWildcard {
				t.Errorf("IdentifierOf(%q): got %v, %v; want %v, %v", tc.in, got, wild, tc.want, tc.wantWildcard)
			}
		})
	}
}
