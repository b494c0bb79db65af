package backend

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name       string
		dsn        string
		wantKind   Kind
		wantTarget string
		wantErr    bool
	}{
		{"sqlite relative", "sqlite:data/quarry.db", SQLite, "data/quarry.db", false},
		{"sqlite absolute", "sqlite:/var/lib/quarry/quarry.db", SQLite, "/var/lib/quarry/quarry.db", false},
		{"sqlite without a path", "sqlite:", "", "", true},
		{"postgres", "postgres://q@127.0.0.1/quarry", Postgres, "postgres://q@127.0.0.1/quarry", false},
		{"postgresql", "postgresql://q:pw@db:5432/quarry?sslmode=require", Postgres, "postgresql://q:pw@db:5432/quarry?sslmode=require", false},
		{"postgres without a host", "postgres:///quarry", "", "", true},
		{"postgres with host parameter", "postgres:///quarry?host=/run/postgresql", Postgres, "postgres:///quarry?host=/run/postgresql", false},
		{"mysql", "mysql://root:secret@db/quarry", "", "", true},
		{"bare path", "/var/lib/quarry.db", "", "", true},
		{"empty", "", "", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kind, target, err := Parse(tc.dsn)
			if (err != nil) != tc.wantErr || kind != tc.wantKind || target != tc.wantTarget {
				t.Fatalf("Parse(%q): got %q, %q, %v; want %q, %q, error %v", tc.dsn, kind, target, err, tc.wantKind, tc.wantTarget, tc.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("Parse(%q): error %q repeats the password", tc.dsn, err)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	tests := []struct {
		name, dsn, want string
	}{
		{"no password", "postgres://q@127.0.0.1/quarry", "postgres://q@127.0.0.1/quarry"},
		{"password in userinfo", "postgres://q:s3cret@127.0.0.1:5432/quarry?sslmode=disable", "postgres://q:xxxxx@127.0.0.1:5432/quarry?sslmode=disable"},
		{"password parameter", "postgresql://127.0.0.1/quarry?password=s3cret&user=q", "postgresql://127.0.0.1/quarry?password=xxxxx&user=q"},
		{"sqlite unchanged", "sqlite:/tmp/q.db", "sqlite:/tmp/q.db"},
		{"unparseable", "postgres://q:s3cret@[::1/quarry", "postgres://(unparseable)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Redact(tc.dsn); got != tc.want {
				t.Errorf("Redact(%q): got %q, want %q", tc.dsn, got, tc.want)
			}
		})
	}
}

func TestOpenSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "quarry.db")
	s, err := Open(t.Context(), "sqlite:"+path)
	if err != nil {
		t.Fatalf("Open: got error %v, want none", err)
	}
	defer s.Close()
	if v, err := s.SchemaVersion(t.Context()); err != nil || v < 2 {
		t.Errorf("SchemaVersion: got %d, %v; want at least 2", v, err)
	}
}

func TestOpenErrorHidesPassword(t *testing.T) {
	// Nothing listens on port 1: the connection is refused at once.
	_, err := Open(t.Context(), "postgres://q:s3cret@127.0.0.1:1/quarry?connect_timeout=2")
	if err == nil {
		t.Fatal("Open: got no error, want one")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("Open: error %q repeats the password", err)
	}
}
