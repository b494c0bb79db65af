package sqlite_test

import (
	"path/filepath"
	"testing"
)

func TestPing(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "quarry.db"))
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping on an open store: got error %v, want none", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(t.Context()); err == nil {
		t.Errorf("Ping on a closed store: got no error, want one")
	}
}
