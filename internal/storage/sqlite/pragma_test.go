package sqlite

import (
	"path/filepath"
	"testing"
)

// TestSettings checks the connection settings durability and safety rest
// on: they are easy to lose in a DSN edit and nothing else would notice.
func TestSettings(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "quarry.db"))
	if err != nil {
		t.Fatalf("Open: got error %v, want none", err)
	}
	defer s.Close()
	tests := []struct {
		name   string
		reader bool
		pragma string
		want   string
	}{
		{"journal mode", false, "journal_mode", "wal"},
		{"synchronous FULL", false, "synchronous", "2"},
		{"foreign keys", false, "foreign_keys", "1"},
		{"busy timeout", false, "busy_timeout", "10000"},
		{"reader query only", true, "query_only", "1"},
		{"reader busy timeout", true, "busy_timeout", "10000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := s.writer
			if tc.reader {
				db = s.reader
			}
			var got string
			if err := db.QueryRowContext(t.Context(), "PRAGMA "+tc.pragma).Scan(&got); err != nil {
				t.Fatalf("PRAGMA %s: %v", tc.pragma, err)
			}
			if got != tc.want {
				t.Errorf("PRAGMA %s: got %s, want %s", tc.pragma, got, tc.want)
			}
		})
	}
	t.Run("schema version", func(t *testing.T) {
		all, err := migrations()
		if err != nil {
			t.Fatalf("migrations: got error %v, want none", err)
		}
		got, err := s.SchemaVersion(t.Context())
		if want := all[len(all)-1].Version; err != nil || got != want {
			t.Errorf("SchemaVersion: got %d, %v, want %d", got, err, want)
		}
	})
}
