package ra_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/policy"
	"github.com/quarry-ca/quarry/internal/ra"
)

// TestProfileOrderRules checks, on a clock the test moves, that each
// profile reuses only authorizations validated within its reuse period and
// gives orders its own lifetime.
func TestProfileOrderRules(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	env := newStoreEnv(t, now)
	store, acct := env.store, env.acct
	pol, _ := policy.New(policy.Config{Mode: policy.ModeDev, AllowIP: true})
	r, err := ra.New(ra.Config{OrderLifetime: 7 * 24 * time.Hour, PendingAuthzLifetime: 7 * 24 * time.Hour,
		ValidAuthzLifetime: 30 * 24 * time.Hour}, ra.Deps{Store: store, VA: &recordingVA{}, CA: env.ca, Policy: pol, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	ids := []acme.Identifier{{Type: acme.IdentifierDNS, Value: "reuse.test"}}

	// Validate one authorization at t0.
	order, authzs, err := r.NewOrder(ctx, acct, acme.NewOrderRequest{Identifiers: ids})
	if err != nil {
		t.Fatal(err)
	}
	if order.Profile != "classic" || !order.Expires.Equal(clock().Add(7*24*time.Hour)) {
		t.Errorf("default order: got profile %q expires %v, want classic in 7 days", order.Profile, order.Expires)
	}
	if _, err := r.RespondChallenge(ctx, acct, authzs[0], authzs[0].Challenges[0]); err != nil {
		t.Fatal(err)
	}
	if err := r.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	validID := authzs[0].ID
	// Drain closed r to background work; a fresh RA on the same store goes on.
	r, _ = ra.New(ra.Config{OrderLifetime: 7 * 24 * time.Hour, PendingAuthzLifetime: 7 * 24 * time.Hour,
		ValidAuthzLifetime: 30 * 24 * time.Hour}, ra.Deps{Store: store, VA: &recordingVA{}, CA: env.ca, Policy: pol, Clock: clock})

	tests := []struct {
		after     time.Duration // since validation
		profile   string
		wantReuse bool
		wantLife  time.Duration
	}{
		{6 * time.Hour, "tlsserver", true, 7 * time.Hour},
		{6 * time.Hour, "shortlived", true, 7 * time.Hour},
		{8 * time.Hour, "tlsserver", false, 7 * time.Hour},
		{8 * time.Hour, "shortlived", false, 7 * time.Hour},
		{8 * time.Hour, "classic", true, 7 * 24 * time.Hour},
		{29 * 24 * time.Hour, "classic", true, 7 * 24 * time.Hour},
	}
	elapsed := time.Duration(0)
	for _, tt := range tests {
		advance(tt.after - elapsed)
		elapsed = tt.after
		o, _, err := r.NewOrder(ctx, acct, acme.NewOrderRequest{Identifiers: ids, Profile: tt.profile})
		if err != nil {
			t.Fatalf("%s after %v: %v", tt.profile, tt.after, err)
		}
		if got := o.AuthzIDs[0] == validID; got != tt.wantReuse {
			t.Errorf("%s after %v: got reuse %v, want %v", tt.profile, tt.after, got, tt.wantReuse)
		}
		if got := o.Expires.Sub(clock()); got != tt.wantLife {
			t.Errorf("%s: got order lifetime %v, want %v", tt.profile, got, tt.wantLife)
		}
	}
	_, _, err = r.NewOrder(ctx, acct, acme.NewOrderRequest{Identifiers: ids, Profile: "Classic"})
	if !errors.Is(err, core.ErrInvalidProfile) {
		t.Errorf("profile names are exact: got %v, want invalidProfile", err)
	}
}
