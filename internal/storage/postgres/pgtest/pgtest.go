// Package pgtest gives tests a fresh, empty PostgreSQL database each. The
// server is named by QUARRY_TEST_POSTGRES (a postgres:// URL of a role
// that may create databases). Unset, tests skip, saying so; under CI=true
// they default to the local server and fail when it is unreachable, so a
// missing database never passes as a green run.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvVar names the server tests use.
const EnvVar = "QUARRY_TEST_POSTGRES"

// CIDefault is the server CI provides (scripts/deps.sh installs it).
const CIDefault = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// ServerDSN returns the server URL from the environment, skipping t when
// none is configured outside CI.
func ServerDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvVar)
	if dsn == "" {
		if os.Getenv("CI") != "true" {
			t.Skipf("PostgreSQL tests skipped: set %s=%s to run them", EnvVar, CIDefault)
		}
		dsn = CIDefault
	}
	return dsn
}

// NewDatabase creates a database named quarry_test_<random> on the
// configured server, drops it when t ends, and returns its URL.
func NewDatabase(t testing.TB) string {
	t.Helper()
	server := ServerDSN(t)
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL", EnvVar)
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	name := "quarry_test_" + hex.EncodeToString(b[:])
	admin(t, server, "CREATE DATABASE "+name)
	t.Cleanup(func() { admin(t, server, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)") })
	u.Path = "/" + name
	return u.String()
}

// Exec runs one statement on database dsn, for tests that change a
// database behind a Store's back.
func Exec(t testing.TB, dsn, query string, args ...any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connecting to PostgreSQL (%s): %v", EnvVar, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func admin(t testing.TB, server, stmt string) {
	t.Helper()
	Exec(t, server, stmt)
}
