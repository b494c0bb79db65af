package sqlite

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestRevokedSinceUsesCoveringIndex checks the CRL generator's poll reads
// only the index migration 0050 adds, never the certificates themselves,
// so polling every few seconds stays cheap with millions of certificates.
func TestRevokedSinceUsesCoveringIndex(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "quarry.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.reader.QueryContext(t.Context(), `EXPLAIN QUERY PLAN `+revokedSinceQuery, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	got := strings.Join(plan, "; ")
	if want := "USING COVERING INDEX certificates_by_revoked_at"; !strings.Contains(got, want) {
		t.Errorf("query plan: got %q, want %q", got, want)
	}
}
