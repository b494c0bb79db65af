package storagetest

import (
	"slices"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
)

func testInFlight(t *testing.T, f *fixture) {
	acct := f.account(t)
	authzIDs, orderIDs, err := f.s.InFlight(t.Context())
	wantErr(t, "InFlight on an empty store", err, nil)
	if len(authzIDs) != 0 || len(orderIDs) != 0 {
		t.Fatalf("got %v and %v, want nothing in flight", authzIDs, orderIDs)
	}
	started := f.store(t, acct, f.authz(acct, "started.example", acme.StatusPending, f.now.Add(time.Hour)))[0]
	f.store(t, acct, f.authz(acct, "idle.example", acme.StatusPending, f.now.Add(time.Hour)))
	wantErr(t, "StartChallenge", f.s.StartChallenge(t.Context(), started.Challenges[0].ID), nil)
	processing := f.processingOrder(t, acct)

	authzIDs, orderIDs, err = f.s.InFlight(t.Context())
	wantErr(t, "InFlight", err, nil)
	if !slices.Equal(authzIDs, []int64{started.ID}) {
		t.Errorf("got authorizations %v, want [%d]", authzIDs, started.ID)
	}
	if !slices.Equal(orderIDs, []int64{processing.ID}) {
		t.Errorf("got orders %v, want [%d]", orderIDs, processing.ID)
	}
}
