package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/storage/postgres"
	"github.com/quarry-ca/quarry/internal/storage/postgres/pgtest"
)

var now = time.Date(2030, 3, 4, 5, 6, 7, 8, time.UTC)

// pendingAuthz stores an account and a pending authorization with three
// challenges through s.
func pendingAuthz(t *testing.T, s *postgres.Store, n int) *core.Authorization {
	t.Helper()
	a := &core.Account{Key: []byte(`{}`), KeyID: fmt.Sprintf("key-%d", n), Status: acme.StatusValid, CreatedAt: now}
	if err := s.NewAccount(t.Context(), a); err != nil {
		t.Fatalf("NewAccount: got error %v, want none", err)
	}
	az := &core.Authorization{AccountID: a.ID, Identifier: acme.Identifier{Type: acme.IdentifierDNS, Value: "x.example"},
		Status: acme.StatusPending, Expires: now.Add(time.Hour)}
	for _, typ := range []acme.ChallengeType{acme.ChallengeHTTP01, acme.ChallengeDNS01, acme.ChallengeTLSALPN01} {
		az.Challenges = append(az.Challenges, &core.Challenge{Type: typ, Status: acme.StatusPending, Token: fmt.Sprintf("t%d%s", n, typ)})
	}
	o := &core.Order{AccountID: a.ID, Status: acme.StatusPending, Expires: now.Add(time.Hour), CreatedAt: now}
	if err := s.NewOrder(t.Context(), o, []*core.Authorization{az}); err != nil {
		t.Fatalf("NewOrder: got error %v, want none", err)
	}
	return az
}

// TestStartChallengeAcrossInstances has two stores (two instances) start
// different challenges of one authorization at once, many times: exactly
// one start may win each time, or two validations would race to set the
// authorization's outcome.
func TestStartChallengeAcrossInstances(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	stores := []*postgres.Store{open(t, dsn), open(t, dsn)}
	for round := range 20 {
		az := pendingAuthz(t, stores[0], round)
		var (
			wg   sync.WaitGroup
			errs = make([]error, len(az.Challenges))
		)
		for i, ch := range az.Challenges {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = stores[i%2].StartChallenge(t.Context(), ch.ID)
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, core.ErrConflict):
				t.Fatalf("round %d: StartChallenge got error %v, want none or ErrConflict", round, err)
			}
		}
		if won != 1 {
			t.Fatalf("round %d: got %d challenges started, want exactly 1", round, won)
		}
	}
}

// TestConnectionLoss cuts every connection of the store's database, as a
// database restart would: calls may fail meanwhile, with plain errors
// (no core kind that would tell a client something false), and the pool
// reconnects by itself.
func TestConnectionLoss(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	s := open(t, dsn)
	az := pendingAuthz(t, s, 1)
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: got error %v, want none", err)
	}
	pgtest.Exec(t, dsn, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid != pg_backend_pid()`)

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	for {
		_, err := s.GetAuthorization(ctx, az.ID)
		if err == nil {
			break
		}
		if hasKind(err) {
			t.Fatalf("GetAuthorization with the connection cut: got %v, want a plain error without a core kind", err)
		}
		if ctx.Err() != nil {
			t.Fatalf("GetAuthorization: still failing after 20s (%v), want the pool to reconnect", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping after reconnecting: got error %v, want none", err)
	}
}

func TestPingClosed(t *testing.T) {
	s := open(t, pgtest.NewDatabase(t))
	s.Close()
	if err := s.Ping(t.Context()); err == nil {
		t.Errorf("Ping on a closed store: got no error, want one")
	}
}

// hasKind reports whether err carries a core error kind.
func hasKind(err error) bool {
	var (
		ce *core.Error
		k  core.Kind
	)
	return errors.As(err, &ce) || errors.As(err, &k)
}
