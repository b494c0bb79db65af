package ra_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/ca"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/policy"
	"github.com/quarry-ca/quarry/internal/ra"
	"github.com/quarry-ca/quarry/internal/storage/sqlite"
)

// storeEnv is what the RA's tests over real storage share: a SQLite
// database and a CA (ECDSA only, quick to make) in one temporary
// directory, and one valid account created at now. The store closes when
// the test ends, after the cleanups the test registers itself.
type storeEnv struct {
	store *sqlite.Store
	ca    *ca.CA
	acct  *core.Account
}

func newStoreEnv(t *testing.T, now time.Time) *storeEnv {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "q.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	acct := &core.Account{Key: []byte(`{}`), KeyID: "thumb", Status: acme.StatusValid, CreatedAt: now}
	if err := store.NewAccount(ctx, acct); err != nil {
		t.Fatal(err)
	}
	authority, err := ca.Load(ctx, ca.Config{DataDir: dir, KeyTypes: []string{ca.KeyECDSA}}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return &storeEnv{store: store, ca: authority, acct: acct}
}

// newOrder stores a pending order for name with one authorization in
// azStatus, whose http-01 challenge has the token "tok-"+name; both expire
// an hour after now.
func (e *storeEnv) newOrder(t *testing.T, now time.Time, name string, azStatus acme.Status) (*core.Order, *core.Authorization) {
	t.Helper()
	az := &core.Authorization{AccountID: e.acct.ID, Identifier: acme.Identifier{Type: acme.IdentifierDNS, Value: name},
		Status: azStatus, Expires: now.Add(time.Hour),
		Challenges: []*core.Challenge{{Type: acme.ChallengeHTTP01, Status: acme.StatusPending, Token: "tok-" + name}}}
	o := &core.Order{AccountID: e.acct.ID, Status: acme.StatusPending, Expires: now.Add(time.Hour),
		Identifiers: []acme.Identifier{az.Identifier}, CreatedAt: now}
	if err := e.store.NewOrder(context.Background(), o, []*core.Authorization{az}); err != nil {
		t.Fatal(err)
	}
	return o, az
}

// newRA is an RA over the env's store and CA with the dev policy, orders
// and authorizations living an hour, and the validator v; wait is
// Config.ChallengeWait.
func (e *storeEnv) newRA(t *testing.T, v ra.Validator, wait time.Duration) *ra.RA {
	t.Helper()
	pol, err := policy.New(policy.Config{Mode: policy.ModeDev})
	if err != nil {
		t.Fatal(err)
	}
	r, err := ra.New(ra.Config{OrderLifetime: time.Hour, PendingAuthzLifetime: time.Hour, ValidAuthzLifetime: time.Hour, ChallengeWait: wait},
		ra.Deps{Store: e.store, VA: v, CA: e.ca, Policy: pol})
	if err != nil {
		t.Fatal(err)
	}
	return r
}
