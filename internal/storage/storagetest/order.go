package storagetest

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

func testNewOrder(t *testing.T, f *fixture) {
	t.Run("new authorizations", func(t *testing.T) {
		acct := f.account(t)
		azs := []*core.Authorization{f.pending(acct, "a.example"), f.pending(acct, "*.a.example"), f.pending(acct, "192.0.2.1")}
		o := &core.Order{
			AccountID: acct.ID, Status: acme.StatusPending, Expires: f.now.Add(time.Hour),
			Identifiers: []acme.Identifier{nameOf(azs[0]), nameOf(azs[1]), nameOf(azs[2])},
			NotBefore:   f.now, NotAfter: f.now.Add(48 * time.Hour), Profile: "shortlived", Replaces: "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE", CreatedAt: f.now,
		}
		wantErr(t, "NewOrder", f.s.NewOrder(t.Context(), o, azs), nil)
		if o.ID == 0 {
			t.Fatalf("NewOrder: got order ID 0, want one set")
		}
		want := []int64{azs[0].ID, azs[1].ID, azs[2].ID}
		if !slices.Equal(o.AuthzIDs, want) || slices.Contains(want, 0) {
			t.Fatalf("NewOrder: got AuthzIDs %v, want the new authorizations' IDs %v in order, none 0", o.AuthzIDs, want)
		}
		for _, az := range azs {
			for _, ch := range az.Challenges {
				if ch.ID == 0 || ch.AuthzID != az.ID {
					t.Errorf("NewOrder: got challenge ID %d for authorization %d, want an ID and AuthzID %d", ch.ID, ch.AuthzID, az.ID)
				}
			}
			got, err := f.s.GetAuthorization(t.Context(), az.ID)
			wantErr(t, "GetAuthorization", err, nil)
			same(t, "GetAuthorization", normAuthz(got), normAuthz(az))
		}
		got, err := f.s.GetOrder(t.Context(), o.ID)
		wantErr(t, "GetOrder", err, nil)
		same(t, "GetOrder", normOrder(got), normOrder(o))
	})
	t.Run("reused and new authorizations", func(t *testing.T) {
		acct := f.account(t)
		old := f.store(t, acct, f.pending(acct, "old1.example"), f.pending(acct, "old2.example"))
		fresh := f.pending(acct, "fresh.example")
		// Reused in reverse ID order: positions, not IDs, order the list.
		o := f.order(t, acct, []int64{old[1].ID, old[0].ID}, fresh)
		want := []int64{old[1].ID, old[0].ID, fresh.ID}
		if !slices.Equal(o.AuthzIDs, want) {
			t.Fatalf("NewOrder: got AuthzIDs %v, want %v", o.AuthzIDs, want)
		}
		got, err := f.s.GetOrder(t.Context(), o.ID)
		wantErr(t, "GetOrder", err, nil)
		if !slices.Equal(got.AuthzIDs, want) {
			t.Errorf("GetOrder: got AuthzIDs %v, want %v", got.AuthzIDs, want)
		}
	})
	t.Run("missing reused authorization", func(t *testing.T) {
		acct := f.account(t)
		fresh := f.pending(acct, "fresh.example")
		o := &core.Order{AccountID: acct.ID, Status: acme.StatusPending, Expires: f.now.Add(time.Hour), AuthzIDs: []int64{1 << 40}}
		wantErr(t, "NewOrder", f.s.NewOrder(t.Context(), o, []*core.Authorization{fresh}), core.ErrNotFound)
		if o.ID != 0 || fresh.ID != 0 || len(o.AuthzIDs) != 1 {
			t.Errorf("failed NewOrder: got order ID %d, authz ID %d, AuthzIDs %v, want inputs untouched", o.ID, fresh.ID, o.AuthzIDs)
		}
	})
}

func testListOrders(t *testing.T, f *fixture) {
	acct, other := f.account(t), f.account(t)
	orderAt := func(a *core.Account, expires time.Time) int64 {
		az := f.pending(a, "list.example")
		o := &core.Order{AccountID: a.ID, Status: acme.StatusPending, Expires: expires,
			Identifiers: []acme.Identifier{az.Identifier}, CreatedAt: f.now}
		wantErr(t, "NewOrder", f.s.NewOrder(t.Context(), o, []*core.Authorization{az}), nil)
		return o.ID
	}
	o1 := orderAt(acct, f.now.Add(time.Hour))
	orderAt(acct, f.now.Add(-time.Nanosecond)) // expired
	orderAt(acct, f.now)                       // expires exactly now: expired
	o4 := orderAt(acct, f.now.Add(time.Nanosecond))
	o5 := orderAt(acct, f.now.Add(2*time.Hour))
	ob := orderAt(other, f.now.Add(time.Hour))
	tests := []struct {
		name    string
		account int64
		after   int64
		limit   int
		want    []int64
	}{
		{"all unexpired", acct.ID, 0, 10, []int64{o1, o4, o5}},
		{"first page", acct.ID, 0, 2, []int64{o1, o4}},
		{"second page", acct.ID, o4, 2, []int64{o5}},
		{"past the end", acct.ID, o5, 2, nil},
		{"zero limit", acct.ID, 0, 0, nil},
		{"other account", other.ID, 0, 10, []int64{ob}},
		{"unknown account", 1 << 40, 0, 10, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.s.ListOrders(t.Context(), tc.account, f.now, tc.after, tc.limit)
			wantErr(t, "ListOrders", err, nil)
			if !slices.Equal(got, tc.want) {
				t.Errorf("ListOrders(after %d, limit %d): got %v, want %v", tc.after, tc.limit, got, tc.want)
			}
		})
	}
}

func testSetOrderStatus(t *testing.T, f *fixture) {
	acct := f.account(t)
	o := f.order(t, acct, nil, f.pending(acct, "a.example"))
	failure := testError()
	steps := []struct {
		name     string
		from, to acme.Status
		err      *core.Error
		wantErr  error
		want     acme.Status
	}{
		{"win pending to processing", acme.StatusPending, acme.StatusProcessing, nil, nil, acme.StatusProcessing},
		{"lose pending to processing", acme.StatusPending, acme.StatusProcessing, nil, core.ErrConflict, acme.StatusProcessing},
		{"processing back to pending", acme.StatusProcessing, acme.StatusPending, nil, nil, acme.StatusPending},
		{"again to processing", acme.StatusPending, acme.StatusProcessing, nil, nil, acme.StatusProcessing},
		{"processing to invalid with error", acme.StatusProcessing, acme.StatusInvalid, failure, nil, acme.StatusInvalid},
		{"invalid is final here", acme.StatusProcessing, acme.StatusValid, nil, core.ErrConflict, acme.StatusInvalid},
	}
	for _, st := range steps {
		err := f.s.SetOrderStatus(t.Context(), o.ID, st.from, st.to, st.err)
		wantErr(t, st.name, err, st.wantErr)
		got, err := f.s.GetOrder(t.Context(), o.ID)
		wantErr(t, st.name+": GetOrder", err, nil)
		if got.Status != st.want {
			t.Errorf("%s: got status %s, want %s", st.name, got.Status, st.want)
		}
	}
	got, err := f.s.GetOrder(t.Context(), o.ID)
	wantErr(t, "GetOrder", err, nil)
	same(t, "stored order error", normError(got.Error), normError(failure))
}

// testSetOrderStatusRace has many finalizations race for one order: the
// compare-and-set lets exactly one through.
func testSetOrderStatusRace(t *testing.T, f *fixture) {
	acct := f.account(t)
	o := f.order(t, acct, nil, f.pending(acct, "a.example"))
	const racers = 16
	errs := make([]error, racers)
	var start, done sync.WaitGroup
	start.Add(1)
	for i := range racers {
		done.Add(1)
		go func() {
			defer done.Done()
			start.Wait()
			errs[i] = f.s.SetOrderStatus(t.Context(), o.ID, acme.StatusPending, acme.StatusProcessing, nil)
		}()
	}
	start.Done()
	done.Wait()
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, core.ErrConflict):
			t.Errorf("racer %d: got error %v, want none or %v", i, err, core.ErrConflict)
		}
	}
	if wins != 1 {
		t.Errorf("racing SetOrderStatus: got %d winners, want 1", wins)
	}
}
