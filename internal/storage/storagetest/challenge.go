package storagetest

import (
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

func testStartChallenge(t *testing.T, f *fixture) {
	acct := f.account(t)
	tests := []struct {
		name    string
		status  acme.Status // the authorization's
		before  func(t *testing.T, az *core.Authorization)
		wantErr error
	}{
		{"pending", acme.StatusPending, nil, nil},
		{"started twice", acme.StatusPending, func(t *testing.T, az *core.Authorization) {
			wantErr(t, "first StartChallenge", f.s.StartChallenge(t.Context(), az.Challenges[0].ID), nil)
		}, core.ErrConflict},
		{"sibling already started", acme.StatusPending, func(t *testing.T, az *core.Authorization) {
			wantErr(t, "sibling StartChallenge", f.s.StartChallenge(t.Context(), az.Challenges[1].ID), nil)
		}, core.ErrConflict},
		{"authorization deactivated", acme.StatusPending, func(t *testing.T, az *core.Authorization) {
			wantErr(t, "DeactivateAuthorization", f.s.DeactivateAuthorization(t.Context(), az.ID), nil)
		}, core.ErrConflict},
		{"authorization valid", acme.StatusValid, nil, core.ErrConflict},
		{"authorization invalid", acme.StatusInvalid, nil, core.ErrConflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			az := f.store(t, acct, f.authz(acct, "a.example", tc.status, f.now.Add(time.Hour)))[0]
			if tc.before != nil {
				tc.before(t, az)
			}
			before, err := f.s.GetAuthorization(t.Context(), az.ID)
			wantErr(t, "GetAuthorization", err, nil)
			wantErr(t, "StartChallenge", f.s.StartChallenge(t.Context(), az.Challenges[0].ID), tc.wantErr)
			got, err := f.s.GetAuthorization(t.Context(), az.ID)
			wantErr(t, "GetAuthorization", err, nil)
			want := normAuthz(before)
			if tc.wantErr == nil {
				want.Challenges[0].Status = acme.StatusProcessing
			}
			same(t, "authorization after StartChallenge", normAuthz(got), want)
		})
	}
}

func testFinishChallenge(t *testing.T, f *fixture) {
	acct := f.account(t)
	records := []acme.ValidationRecord{{
		URL: "http://a.example/.well-known/acme-challenge/x", Hostname: "a.example", Port: "80",
		AddressesResolved: []string{"192.0.2.1", "2001:db8::1"}, AddressUsed: "192.0.2.1",
	}}
	id := acme.Identifier{Type: acme.IdentifierDNS, Value: "a.example"}
	failure := testError()
	failure.Identifier = &id
	tests := []struct {
		name      string
		start     bool
		deactive  bool // deactivate the authorization while "validating"
		status    acme.Status
		chErr     *core.Error
		wantErr   error
		wantAuthz acme.Status
	}{
		{"success", true, false, acme.StatusValid, nil, nil, acme.StatusValid},
		{"success without start", false, false, acme.StatusValid, nil, nil, acme.StatusValid},
		{"failure", true, false, acme.StatusInvalid, failure, nil, acme.StatusInvalid},
		{"deactivated meanwhile", true, true, acme.StatusValid, nil, core.ErrConflict, acme.StatusDeactivated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			az := f.store(t, acct, f.pending(acct, "a.example"))[0]
			ch := az.Challenges[1]
			if tc.start {
				wantErr(t, "StartChallenge", f.s.StartChallenge(t.Context(), ch.ID), nil)
			}
			if tc.deactive {
				wantErr(t, "DeactivateAuthorization", f.s.DeactivateAuthorization(t.Context(), az.ID), nil)
			}
			before, err := f.s.GetAuthorization(t.Context(), az.ID)
			wantErr(t, "GetAuthorization", err, nil)
			outcome, chOut := finished(f, az, ch, tc.status, tc.chErr, records)
			wantErr(t, "FinishChallenge", f.s.FinishChallenge(t.Context(), outcome, chOut), tc.wantErr)
			got, err := f.s.GetAuthorization(t.Context(), az.ID)
			wantErr(t, "GetAuthorization", err, nil)
			want := normAuthz(before)
			if tc.wantErr == nil {
				want.Status = tc.wantAuthz
				if tc.status == acme.StatusValid {
					want.Expires = outcome.Expires
				}
				want.Challenges[1] = normChallenge(chOut)
			}
			same(t, "authorization after FinishChallenge", normAuthz(got), want)
		})
	}
	t.Run("twice", func(t *testing.T) {
		az := f.store(t, acct, f.pending(acct, "a.example"))[0]
		outcome, ch := finished(f, az, az.Challenges[0], acme.StatusValid, nil, records)
		wantErr(t, "first FinishChallenge", f.s.FinishChallenge(t.Context(), outcome, ch), nil)
		outcome, ch = finished(f, az, az.Challenges[0], acme.StatusInvalid, failure, nil)
		wantErr(t, "second FinishChallenge", f.s.FinishChallenge(t.Context(), outcome, ch), core.ErrConflict)
		got, err := f.s.GetAuthorization(t.Context(), az.ID)
		wantErr(t, "GetAuthorization", err, nil)
		if got.Status != acme.StatusValid || got.Challenges[0].Status != acme.StatusValid {
			t.Errorf("after a second outcome: got authorization %s, challenge %s, want both valid", got.Status, got.Challenges[0].Status)
		}
	})
	t.Run("valid authorization is then found", func(t *testing.T) {
		az := f.store(t, acct, f.pending(acct, "found.example"))[0]
		outcome, ch := finished(f, az, az.Challenges[0], acme.StatusValid, nil, records)
		wantErr(t, "FinishChallenge", f.s.FinishChallenge(t.Context(), outcome, ch), nil)
		got, err := f.s.FindValidAuthorization(t.Context(), acct.ID, az.Identifier, false, f.now.Add(29*24*time.Hour))
		wantErr(t, "FindValidAuthorization before the new expiry", err, nil)
		if got.ID != az.ID {
			t.Errorf("FindValidAuthorization: got authorization %d, want %d", got.ID, az.ID)
		}
	})
}

// finished returns copies of az and ch carrying a validation outcome as
// the RA records it: on success a validated time and a 30-day expiry; on
// failure an error and an expiry that must not be stored.
func finished(f *fixture, az *core.Authorization, ch *core.Challenge, status acme.Status, chErr *core.Error, records []acme.ValidationRecord) (*core.Authorization, *core.Challenge) {
	a, c := *az, *ch
	a.Status, c.Status, c.Error, c.Records = status, status, chErr, records
	a.Expires = f.now.Add(30 * 24 * time.Hour)
	if status == acme.StatusValid {
		c.Validated = f.now.Add(time.Minute)
	}
	return &a, &c
}
