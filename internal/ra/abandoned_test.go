package ra_test

import (
	"context"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// TestResumeAbandoned runs the leader's job against work in several
// states: only what stays in flight across two looks is resumed.
func TestResumeAbandoned(t *testing.T) {
	ctx := t.Context()
	now := time.Now()
	env := newStoreEnv(t, now)
	store := env.store
	processing := func(o *core.Order) {
		if err := store.SetOrderStatus(ctx, o.ID, acme.StatusPending, acme.StatusProcessing, nil); err != nil {
			t.Fatal(err)
		}
	}
	_, abandonedAuthz := env.newOrder(t, now, "validating.test", acme.StatusPending)
	if err := store.StartChallenge(ctx, abandonedAuthz.Challenges[0].ID); err != nil {
		t.Fatal(err)
	}
	abandoned, _ := env.newOrder(t, now, "abandoned.test", acme.StatusValid)
	processing(abandoned)
	finishes, _ := env.newOrder(t, now, "finishes.test", acme.StatusValid)
	processing(finishes)
	late, _ := env.newOrder(t, now, "late.test", acme.StatusValid)

	rec := &recordingVA{}
	r := env.newRA(t, rec, 0)

	const period = 800 * time.Millisecond
	jctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); r.ResumeAbandoned(jctx, period) }()
	defer func() { cancel(); <-done }()

	// Between the first and the second look: one order finishes on its
	// own (a live instance), another starts.
	time.Sleep(period / 4)
	if o, _ := store.GetOrder(ctx, abandoned.ID); o.Status != acme.StatusProcessing {
		t.Fatalf("after the first look: got abandoned order %s, want still processing (one look resumes nothing)", o.Status)
	}
	if err := store.SetOrderStatus(ctx, finishes.ID, acme.StatusProcessing, acme.StatusPending, nil); err != nil {
		t.Fatal(err)
	}
	processing(late)

	deadline := time.Now().Add(10 * time.Second)
	for {
		o, _ := store.GetOrder(ctx, abandoned.ID)
		if o.Status == acme.StatusInvalid {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("abandoned order: got %s after 10s, want invalid", o.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	if err := r.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	az, _ := store.GetAuthorization(ctx, abandonedAuthz.ID)
	if az.Status != acme.StatusValid || len(rec.reqs) != 1 {
		t.Errorf("abandoned validation: got authorization %s after %d validations, want valid after 1", az.Status, len(rec.reqs))
	}
	for _, tt := range []struct {
		name string
		id   int64
		want acme.Status
	}{
		{"order that finished between looks", finishes.ID, acme.StatusPending},
		{"order first seen at the second look", late.ID, acme.StatusProcessing},
	} {
		if o, _ := store.GetOrder(ctx, tt.id); o.Status != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, o.Status, tt.want)
		}
	}
}
