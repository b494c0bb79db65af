package testdns

import (
	"context"
	"testing"
)

// StartTest starts a server with cfg for the length of a test: the test
// fails if it cannot start, and it closes when the test ends.
func StartTest(t testing.TB, cfg Config) *Server {
	t.Helper()
	s, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("starting test DNS: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
