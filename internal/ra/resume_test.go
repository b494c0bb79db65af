package ra_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/va"
)

// recordingVA passes every validation and remembers what it was asked.
type recordingVA struct {
	mu   sync.Mutex
	reqs []va.Request
}

func (v *recordingVA) Validate(_ context.Context, req va.Request) ([]acme.ValidationRecord, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.reqs = append(v.reqs, req)
	return []acme.ValidationRecord{{Hostname: req.Identifier.Value}}, nil
}

func (v *recordingVA) CheckCAA(context.Context, va.CAARequest) error { return nil }

func TestResumeInterruptedWork(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	env := newStoreEnv(t, now)
	store := env.store
	_, validating := env.newOrder(t, now, "validating.test", acme.StatusPending)
	if err := store.StartChallenge(ctx, validating.Challenges[0].ID); err != nil {
		t.Fatal(err)
	}
	signing, _ := env.newOrder(t, now, "signing.test", acme.StatusValid)
	if err := store.SetOrderStatus(ctx, signing.ID, acme.StatusPending, acme.StatusProcessing, nil); err != nil {
		t.Fatal(err)
	}
	idle, _ := env.newOrder(t, now, "idle.test", acme.StatusPending)

	rec := &recordingVA{}
	r := env.newRA(t, rec, 0)
	validations, orders, err := r.Resume(ctx)
	if err != nil || validations != 1 || orders != 1 {
		t.Fatalf("got %d validations, %d orders, %v; want 1, 1, nil", validations, orders, err)
	}
	if err := r.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if len(rec.reqs) != 1 || rec.reqs[0].KeyAuthorization != "tok-validating.test.thumb" {
		t.Errorf("got validations %+v, want one for validating.test with its key authorization", rec.reqs)
	}
	az, _ := store.GetAuthorization(ctx, validating.ID)
	if az.Status != acme.StatusValid || az.Challenges[0].Status != acme.StatusValid {
		t.Errorf("resumed authorization: got %s / %s, want valid / valid", az.Status, az.Challenges[0].Status)
	}
	o, _ := store.GetOrder(ctx, signing.ID)
	if o.Status != acme.StatusInvalid || o.Error == nil || o.Error.Kind != core.ErrServerInternal {
		t.Errorf("interrupted order: got %s with %v, want invalid with a serverInternal error", o.Status, o.Error)
	}
	if o, _ := store.GetOrder(ctx, idle.ID); o.Status != acme.StatusPending {
		t.Errorf("untouched order: got %s, want pending", o.Status)
	}
}
