package storagetest

import (
	"errors"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/internal/core"
)

// revocation is one row RevokedSince reports.
type revocation struct {
	IssuerID  string
	Shard     int
	RevokedAt time.Time
}

func testRevokedSince(t *testing.T, f *fixture) {
	acct := f.account(t)
	issue := func(shard int, notAfter time.Time) *core.Certificate {
		o := f.processingOrder(t, acct)
		c := f.certificate(o)
		c.Shard, c.NotAfter = shard, notAfter
		wantErr(t, "FinalizeOrder", f.s.FinalizeOrder(t.Context(), o.ID, c), nil)
		return c
	}
	early, late := f.now.Add(time.Minute), f.now.Add(time.Hour)
	old := issue(1, f.now.Add(24*time.Hour))
	recent := issue(2, f.now.Add(24*time.Hour))
	expired := issue(3, f.now.Add(-time.Hour)) // expired certificates are reported too: the caller decides
	issue(4, f.now.Add(24*time.Hour))          // never revoked: never reported
	wantErr(t, "RevokeCertificate old", f.s.RevokeCertificate(t.Context(), old.Serial, 1, f.now), nil)
	wantErr(t, "RevokeCertificate recent", f.s.RevokeCertificate(t.Context(), recent.Serial, 4, late), nil)
	wantErr(t, "RevokeCertificate expired", f.s.RevokeCertificate(t.Context(), expired.Serial, 5, late), nil)

	collect := func(t *testing.T, since time.Time) map[string]revocation {
		t.Helper()
		got := map[string]revocation{}
		err := f.s.RevokedSince(t.Context(), since, func(issuerID string, shard int, serial string, at time.Time) error {
			got[serial] = revocation{issuerID, shard, at.UTC()}
			return nil
		})
		wantErr(t, "RevokedSince", err, nil)
		return got
	}
	tests := []struct {
		name  string
		since time.Time
		want  map[string]revocation
	}{
		{"after the first revocation", early, map[string]revocation{
			recent.Serial:  {recent.IssuerID, 2, late},
			expired.Serial: {expired.IssuerID, 3, late},
		}},
		{"exactly at a revocation excludes it", f.now, map[string]revocation{
			recent.Serial:  {recent.IssuerID, 2, late},
			expired.Serial: {expired.IssuerID, 3, late},
		}},
		{"just before includes it", f.now.Add(-time.Nanosecond), map[string]revocation{
			old.Serial:     {old.IssuerID, 1, f.now},
			recent.Serial:  {recent.IssuerID, 2, late},
			expired.Serial: {expired.IssuerID, 3, late},
		}},
		{"zero time is everything", time.Time{}, map[string]revocation{
			old.Serial:     {old.IssuerID, 1, f.now},
			recent.Serial:  {recent.IssuerID, 2, late},
			expired.Serial: {expired.IssuerID, 3, late},
		}},
		{"after the last", late, map[string]revocation{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			same(t, "RevokedSince", collect(t, tc.since), tc.want)
		})
	}
	t.Run("error from fn stops the walk", func(t *testing.T) {
		stop := errors.New("stop")
		calls := 0
		err := f.s.RevokedSince(t.Context(), time.Time{}, func(string, int, string, time.Time) error {
			calls++
			return stop
		})
		if !errors.Is(err, stop) || calls != 1 {
			t.Errorf("RevokedSince: got error %v after %d calls, want %v after 1", err, calls, stop)
		}
	})
}
