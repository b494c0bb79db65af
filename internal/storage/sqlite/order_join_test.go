package sqlite

import (
	"strings"
	"testing"
)

// TestOrderJoinQueryMatchesColumns keeps the joined order query in step
// with orderColumns, which scanOrder reads in that order.
func TestOrderJoinQueryMatchesColumns(t *testing.T) {
	cols := strings.Split(strings.Join(strings.Fields(orderColumns), ""), ",")
	if len(cols) != orderColumnCount {
		t.Fatalf("got %d columns in orderColumns, want orderColumnCount = %d", len(cols), orderColumnCount)
	}
	for i := range cols {
		cols[i] = "o." + cols[i]
	}
	want := "SELECT" + strings.Join(cols, ",") + ",oa.authz_id"
	got := strings.Join(strings.Fields(orderJoinQuery), "")
	if !strings.HasPrefix(got, want) {
		t.Errorf("got query %q, want it to start %q", got, want)
	}
}
