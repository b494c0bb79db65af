package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// TestHotQueriesUseIndexes runs every store call of an issuance (and a
// revocation), collects the SQL they ran from the connections' statement
// caches, and checks that SQLite's plan for each reads no table whole:
// a full scan costs nothing in a test and everything at a million rows.
func TestHotQueriesUseIndexes(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.reader.SetMaxOpenConns(1) // every read on one connection, one cache
	issueAndRevoke(t, s)

	queries := append(cachedQueries(t, s.writer), cachedQueries(t, s.reader)...)
	if len(queries) < 15 {
		t.Fatalf("got %d distinct queries, want the whole flow's (15 or more)", len(queries))
	}
	for _, q := range queries {
		if notHot(q) {
			continue
		}
		for _, step := range plan(t, s.reader, q) {
			if fullScan(step) {
				t.Errorf("got plan step %q for\n%s\nwant an index (or the primary key) used", step, q)
			}
		}
	}
}

// notHot says whether q is bookkeeping rather than a query whose cost
// grows with the data: savepoints, pragmas, and the migration check at
// start, which reads a table of a few rows.
func notHot(q string) bool {
	for _, p := range []string{"SAVEPOINT", "RELEASE", "ROLLBACK", "PRAGMA"} {
		if strings.HasPrefix(q, p) {
			return true
		}
	}
	return strings.Contains(q, "FROM schema_migrations")
}

// fullScan says whether a plan step reads a whole table. Scanning the
// table-valued json_each of an argument is reading the argument.
func fullScan(step string) bool {
	return strings.HasPrefix(step, "SCAN ") && !strings.Contains(step, "json_each") &&
		!strings.Contains(step, "USING INDEX") && !strings.Contains(step, "USING COVERING INDEX") &&
		!strings.HasPrefix(step, "SCAN CONSTANT ROW")
}

func cachedQueries(t *testing.T, db *sql.DB) []string {
	t.Helper()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var out []string
	err = conn.Raw(func(c any) error {
		for q := range c.(*cachingConn).stmts {
			out = append(out, q)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// plan returns the detail column of EXPLAIN QUERY PLAN for q, every
// parameter NULL (plans do not depend on the values here).
func plan(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	args := make([]any, strings.Count(q, "?"))
	rows, err := db.Query("EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatalf("explaining %s: %v", q, err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, detail)
	}
	return steps
}

// issueAndRevoke makes the store calls one issuance and one revocation
// make, in order.
func issueAndRevoke(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	acct := &core.Account{Key: []byte(`{}`), KeyID: "k1", Status: acme.StatusValid, CreatedAt: now}
	must(s.NewAccount(ctx, acct))
	_, err := s.GetAccountByKeyID(ctx, "k1")
	must(err)
	_, err = s.GetAccount(ctx, acct.ID)
	must(err)
	id := acme.Identifier{Type: acme.IdentifierDNS, Value: "a.test"}
	_, err = s.FindValidAuthorization(ctx, acct.ID, id, false, now)
	if !isNotFound(err) {
		t.Fatalf("FindValidAuthorization: got %v, want not found", err)
	}
	_, err = s.FindPendingAuthorization(ctx, acct.ID, id, false, now)
	if !isNotFound(err) {
		t.Fatalf("FindPendingAuthorization: got %v, want not found", err)
	}
	az := &core.Authorization{AccountID: acct.ID, Identifier: id, Status: acme.StatusPending, Expires: now.Add(time.Hour),
		Challenges: []*core.Challenge{{Type: acme.ChallengeHTTP01, Status: acme.StatusPending, Token: "t"}}}
	o := &core.Order{AccountID: acct.ID, Status: acme.StatusPending, Expires: now.Add(time.Hour), Identifiers: []acme.Identifier{id}, CreatedAt: now}
	must(s.NewOrder(ctx, o, []*core.Authorization{az}))
	_, err = s.GetOrder(ctx, o.ID)
	must(err)
	_, err = s.GetAuthorization(ctx, az.ID)
	must(err)
	_, err = s.GetAuthorizations(ctx, o.AuthzIDs)
	must(err)
	must(s.StartChallenge(ctx, az.Challenges[0].ID))
	ch := *az.Challenges[0]
	ch.Status, ch.Validated = acme.StatusValid, now
	done := *az
	done.Status = acme.StatusValid
	must(s.FinishChallenge(ctx, &done, &ch))
	_, err = s.ValidAuthorizedNames(ctx, acct.ID, []string{"a.test"}, now)
	must(err)
	must(s.SetOrderStatus(ctx, o.ID, acme.StatusPending, acme.StatusProcessing, nil))
	cert := &core.Certificate{Serial: "0a", AccountID: acct.ID, OrderID: o.ID, IssuerID: "i", DER: []byte{1},
		Names: []string{"a.test"}, NotBefore: now, NotAfter: now.Add(time.Hour), IssuedAt: now}
	must(s.FinalizeOrder(ctx, o.ID, cert))
	_, err = s.GetCertificate(ctx, "0a")
	must(err)
	_, err = s.ListOrders(ctx, acct.ID, now, 0, 10)
	must(err)
	must(s.RevokeCertificate(ctx, "0a", 1, now))
}

func isNotFound(err error) bool { return errors.Is(err, core.ErrNotFound) }
