package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/storage/postgres"
	"github.com/quarry-ca/quarry/internal/storage/postgres/pgtest"
	"github.com/quarry-ca/quarry/internal/storage/sqlite"
)

func TestMigrateUsage(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
	}{
		{"from without to", []string{"--from", "sqlite:" + filepath.Join(dir, "q.db")}},
		{"to without from", []string{"--to", "postgres://127.0.0.1/q"}},
		{"from postgres", []string{"--from", "postgres://127.0.0.1/a", "--to", "postgres://127.0.0.1/b"}},
		{"to sqlite", []string{"--from", "sqlite:a.db", "--to", "sqlite:b.db"}},
		{"storage with from", []string{"--storage", "sqlite:x.db", "--from", "sqlite:a.db", "--to", "postgres://127.0.0.1/b"}},
		{"unknown storage", []string{"--storage", "mysql://root:hunter2@127.0.0.1/q"}},
		{"stray argument", []string{"now"}},
		{"unknown flag", []string{"--force"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(append([]string{"migrate"}, tc.args...), &out, &errOut)
			var ue usageError
			if !errors.As(err, &ue) {
				t.Fatalf("got error %v, want a usage error", err)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q repeats the password", err)
			}
		})
	}
}

func TestMigrateSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "quarry.db")
	var out bytes.Buffer
	if err := run([]string{"migrate", "--storage", "sqlite:" + path}, &out, &out); err != nil {
		t.Fatalf("migrate: got error %v, want none", err)
	}
	if !regexp.MustCompile(`is at schema version [1-9]\d*\.`).MatchString(out.String()) {
		t.Errorf("migrate: got output %q, want the schema version", out.String())
	}
}

func TestMigrateFromMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "none.db")
	var out bytes.Buffer
	err := run([]string{"migrate", "--from", "sqlite:" + path, "--to", "postgres://postgres@127.0.0.1:1/x"}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "no SQLite database") {
		t.Fatalf("migrate: got error %v, want one saying there is no SQLite database", err)
	}
}

// TestMigrateCopy copies a filled SQLite database into PostgreSQL with the
// command, checks the printed counts, reads a certificate back, and checks
// a second copy into the now full database is refused.
func TestMigrateCopy(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	path := filepath.Join(t.TempDir(), "quarry.db")
	want := fillSQLite(t, path, 2)

	var out bytes.Buffer
	if err := run([]string{"migrate", "--from", "sqlite:" + path, "--to", dsn}, &out, &out); err != nil {
		t.Fatalf("migrate --from --to: got error %v, want none; output:\n%s", err, out.String())
	}
	for _, line := range []string{`accounts\s+2 rows`, `orders\s+2 rows`, `certificates\s+2 rows`, `order_authzs\s+2 rows`,
		`Copied \d+ rows in \d+ tables; every table's row count matches`} {
		if !regexp.MustCompile(line).MatchString(out.String()) {
			t.Errorf("output: got\n%s\nwant a line matching %q", out.String(), line)
		}
	}

	s, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.GetCertificate(t.Context(), want.Serial)
	if err != nil {
		t.Fatalf("GetCertificate after the copy: got error %v, want none", err)
	}
	if !bytes.Equal(got.DER, want.DER) || got.OrderID != want.OrderID || !got.NotAfter.Equal(want.NotAfter) {
		t.Errorf("certificate after the copy: got %+v, want %+v", got, want)
	}

	out.Reset()
	err = run([]string{"migrate", "--from", "sqlite:" + path, "--to", dsn}, &out, &out)
	var ue usageError
	if err == nil || errors.As(err, &ue) || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("second copy: got error %v, want a runtime error saying the target is not empty", err)
	}

	// The test server trusts local connections, so any password works;
	// it must not be printed.
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), "s3cret-pw")
	out.Reset()
	err = run([]string{"migrate", "--storage", u.String()}, &out, &out)
	if err != nil || !strings.Contains(out.String(), "schema version") {
		t.Errorf("migrate --storage postgres: got %v, output %q; want the schema version", err, out.String())
	}
	if strings.Contains(out.String(), "s3cret-pw") || !strings.Contains(out.String(), "xxxxx") {
		t.Errorf("migrate --storage postgres: got output %q, want the password shown as xxxxx", out.String())
	}
}

// fillSQLite stores n accounts with one issued certificate each and
// returns the last certificate.
func fillSQLite(t *testing.T, path string, n int) *core.Certificate {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Date(2030, 1, 2, 3, 4, 5, 6, time.UTC)
	var cert *core.Certificate
	for i := range n {
		a := &core.Account{Key: []byte(`{}`), KeyID: fmt.Sprintf("k%d", i), Status: acme.StatusValid, CreatedAt: now}
		if err := s.NewAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		id := acme.Identifier{Type: acme.IdentifierDNS, Value: fmt.Sprintf("h%d.example", i)}
		az := &core.Authorization{AccountID: a.ID, Identifier: id, Status: acme.StatusValid, Expires: now.Add(time.Hour),
			Challenges: []*core.Challenge{{Type: acme.ChallengeHTTP01, Status: acme.StatusValid, Token: fmt.Sprint(i), Validated: now}}}
		o := &core.Order{AccountID: a.ID, Status: acme.StatusProcessing, Expires: now.Add(time.Hour),
			Identifiers: []acme.Identifier{id}, CreatedAt: now}
		if err := s.NewOrder(ctx, o, []*core.Authorization{az}); err != nil {
			t.Fatal(err)
		}
		cert = &core.Certificate{Serial: fmt.Sprintf("%032x", 0x5ca1ab1e+i), AccountID: a.ID, OrderID: o.ID, IssuerID: "e1",
			DER: []byte{0x30, byte(i)}, Names: []string{id.Value}, NotBefore: now, NotAfter: now.Add(24 * time.Hour), IssuedAt: now}
		if err := s.FinalizeOrder(ctx, o.ID, cert); err != nil {
			t.Fatal(err)
		}
	}
	return cert
}
