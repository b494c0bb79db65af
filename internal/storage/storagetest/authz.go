package storagetest

import (
	"context"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

func testGetAuthorizations(t *testing.T, f *fixture) {
	acct := f.account(t)
	azs := f.store(t, acct, f.pending(acct, "a.example"), f.pending(acct, "b.example"), f.pending(acct, "*.c.example"))
	t.Run("challenges in ID order", func(t *testing.T) {
		got, err := f.s.GetAuthorization(t.Context(), azs[0].ID)
		wantErr(t, "GetAuthorization", err, nil)
		same(t, "GetAuthorization", normAuthz(got), normAuthz(azs[0]))
		for i := 1; i < len(got.Challenges); i++ {
			if got.Challenges[i-1].ID >= got.Challenges[i].ID {
				t.Errorf("GetAuthorization: got challenge IDs %d then %d, want ascending", got.Challenges[i-1].ID, got.Challenges[i].ID)
			}
		}
	})
	tests := []struct {
		name    string
		ids     []int64
		want    []*core.Authorization
		wantErr error
	}{
		{"in the order asked", []int64{azs[2].ID, azs[0].ID, azs[1].ID}, []*core.Authorization{azs[2], azs[0], azs[1]}, nil},
		{"one", []int64{azs[1].ID}, []*core.Authorization{azs[1]}, nil},
		{"none", nil, nil, nil},
		{"one missing", []int64{azs[0].ID, 1 << 40}, nil, core.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.s.GetAuthorizations(t.Context(), tc.ids)
			wantErr(t, "GetAuthorizations", err, tc.wantErr)
			if tc.wantErr != nil {
				return
			}
			if len(got) != len(tc.want) {
				t.Fatalf("GetAuthorizations: got %d authorizations, want %d", len(got), len(tc.want))
			}
			for i := range got {
				same(t, "GetAuthorizations", normAuthz(got[i]), normAuthz(tc.want[i]))
			}
		})
	}
}

func testFindAuthorization(t *testing.T, f *fixture) {
	acct, other := f.account(t), f.account(t)
	hour := f.now.Add(time.Hour)
	azs := f.store(t, acct,
		f.authz(acct, "v.example", acme.StatusValid, hour),
		f.authz(acct, "*.v.example", acme.StatusValid, hour),
		f.authz(acct, "old.example", acme.StatusValid, f.now), // expires now: expired
		f.authz(acct, "p.example", acme.StatusPending, hour),
		f.authz(acct, "*.p.example", acme.StatusPending, hour),
		f.authz(acct, "bad.example", acme.StatusInvalid, hour),
		f.authz(acct, "192.0.2.1", acme.StatusValid, hour),
	)
	f.store(t, other, f.authz(other, "o.example", acme.StatusValid, hour))
	dns := func(v string) acme.Identifier { return acme.Identifier{Type: acme.IdentifierDNS, Value: v} }
	type finder func(ctx context.Context, accountID int64, id acme.Identifier, wildcard bool, now time.Time) (*core.Authorization, error)
	valid, pending := finder(f.s.FindValidAuthorization), finder(f.s.FindPendingAuthorization)
	tests := []struct {
		name     string
		find     finder
		id       acme.Identifier
		wildcard bool
		want     *core.Authorization // nil: core.ErrNotFound
	}{
		{"valid", valid, dns("v.example"), false, azs[0]},
		{"valid wildcard", valid, dns("v.example"), true, azs[1]},
		{"valid expired", valid, dns("old.example"), false, nil},
		{"valid ip", valid, acme.Identifier{Type: acme.IdentifierIP, Value: "192.0.2.1"}, false, azs[6]},
		{"valid wrong type", valid, dns("192.0.2.1"), false, nil},
		{"valid ignores pending", valid, dns("p.example"), false, nil},
		{"valid ignores invalid", valid, dns("bad.example"), false, nil},
		{"valid of another account", valid, dns("o.example"), false, nil},
		{"pending", pending, dns("p.example"), false, azs[3]},
		{"pending wildcard", pending, dns("p.example"), true, azs[4]},
		{"pending ignores valid", pending, dns("v.example"), false, nil},
		{"pending unknown name", pending, dns("nothing.example"), false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.find(t.Context(), acct.ID, tc.id, tc.wildcard, f.now)
			if tc.want == nil {
				wantErr(t, "find", err, core.ErrNotFound)
				return
			}
			wantErr(t, "find", err, nil)
			same(t, "found authorization", normAuthz(got), normAuthz(tc.want))
		})
	}
	t.Run("after a later now", func(t *testing.T) {
		_, err := f.s.FindValidAuthorization(t.Context(), acct.ID, dns("v.example"), false, hour)
		wantErr(t, "FindValidAuthorization at its expiry", err, core.ErrNotFound)
	})
}

func testDeactivateAuthorization(t *testing.T, f *fixture) {
	acct := f.account(t)
	tests := []struct {
		from    acme.Status
		wantErr error
		want    acme.Status
	}{
		{acme.StatusPending, nil, acme.StatusDeactivated},
		{acme.StatusValid, nil, acme.StatusDeactivated},
		{acme.StatusInvalid, core.ErrConflict, acme.StatusInvalid},
		{acme.StatusDeactivated, core.ErrConflict, acme.StatusDeactivated},
	}
	for _, tc := range tests {
		t.Run(string(tc.from), func(t *testing.T) {
			az := f.store(t, acct, f.authz(acct, "a.example", tc.from, f.now.Add(time.Hour)))[0]
			wantErr(t, "DeactivateAuthorization", f.s.DeactivateAuthorization(t.Context(), az.ID), tc.wantErr)
			got, err := f.s.GetAuthorization(t.Context(), az.ID)
			wantErr(t, "GetAuthorization", err, nil)
			if got.Status != tc.want {
				t.Errorf("after DeactivateAuthorization: got status %s, want %s", got.Status, tc.want)
			}
		})
	}
}

func testDeactivateAccountAuthorizations(t *testing.T, f *fixture) {
	acct, other := f.account(t), f.account(t)
	hour := f.now.Add(time.Hour)
	mine := f.store(t, acct,
		f.authz(acct, "p.example", acme.StatusPending, hour),
		f.authz(acct, "v.example", acme.StatusValid, hour),
		f.authz(acct, "i.example", acme.StatusInvalid, hour),
		f.authz(acct, "old.example", acme.StatusValid, f.now.Add(-time.Hour)),
	)
	theirs := f.store(t, other, f.authz(other, "v.example", acme.StatusValid, hour))
	wantErr(t, "DeactivateAccountAuthorizations", f.s.DeactivateAccountAuthorizations(t.Context(), acct.ID), nil)
	tests := []struct {
		name string
		id   int64
		want acme.Status
	}{
		{"pending", mine[0].ID, acme.StatusDeactivated},
		{"valid", mine[1].ID, acme.StatusDeactivated},
		{"invalid stays", mine[2].ID, acme.StatusInvalid},
		{"expired valid", mine[3].ID, acme.StatusDeactivated},
		{"other account untouched", theirs[0].ID, acme.StatusValid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := f.s.GetAuthorization(t.Context(), tc.id)
			wantErr(t, "GetAuthorization", err, nil)
			if got.Status != tc.want {
				t.Errorf("got status %s, want %s", got.Status, tc.want)
			}
		})
	}
	t.Run("no authorizations", func(t *testing.T) {
		wantErr(t, "DeactivateAccountAuthorizations", f.s.DeactivateAccountAuthorizations(t.Context(), 1<<40), nil)
	})
}
