package crl_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/internal/ca"
	"github.com/quarry-ca/quarry/internal/crl"
	"github.com/quarry-ca/quarry/internal/storage/sqlite"
)

func newGen(t *testing.T, e *env, cfg crl.Config, clock func() time.Time) *crl.Generator {
	t.Helper()
	g, err := crl.New(cfg, crl.Deps{Store: e.store, Signer: e.ca, Log: discard(), Clock: clock})
	if err != nil {
		t.Fatalf("crl.New: got error %v, want none", err)
	}
	return g
}

// runGen runs g until the test ends, and waits for it to stop before the
// store closes.
func runGen(t *testing.T, g *crl.Generator) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { g.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func TestGenerateAll(t *testing.T) {
	e := newEnv(t)
	now := time.Now().UTC().Truncate(time.Second)
	revoked := e.issue(t, 1, now.Add(-time.Minute))
	unspecified := e.issue(t, 0, now.Add(-2*time.Minute))
	good := e.issue(t, -1, time.Time{})
	g := newGen(t, e, crl.Config{}, func() time.Time { return now })
	for round := int64(1); round <= 2; round++ {
		if err := g.GenerateAll(t.Context()); err != nil {
			t.Fatalf("GenerateAll: got error %v, want none", err)
		}
		for _, sc := range e.ca.CRLScopes() {
			issuer, _ := e.ca.IssuerCertificate(sc.IssuerID)
			for shard := range sc.Shards {
				stored, parsed := e.stored(t, sc.IssuerID, shard)
				if stored.Number != round || parsed.Number.Int64() != round {
					t.Errorf("%s/%d round %d: got number %d (stored %d), want %d", sc.IssuerID, shard, round, parsed.Number, stored.Number, round)
				}
				if err := parsed.CheckSignatureFrom(issuer); err != nil {
					t.Errorf("%s/%d: signature does not verify: %v", sc.IssuerID, shard, err)
				}
				if !parsed.ThisUpdate.Equal(now) || !parsed.NextUpdate.Equal(now.Add(crl.DefaultNextUpdate)) ||
					!stored.ThisUpdate.Equal(now) || !stored.NextUpdate.Equal(parsed.NextUpdate) {
					t.Errorf("%s/%d: got times %v..%v, want %v..%v", sc.IssuerID, shard, parsed.ThisUpdate, parsed.NextUpdate, now, now.Add(crl.DefaultNextUpdate))
				}
				want := map[string]int{}
				for _, c := range []*ca.Issued{revoked, unspecified} {
					if c.IssuerID == sc.IssuerID && c.Shard == shard {
						want[c.Serial] = reasonOf(c, revoked)
					}
				}
				got := map[string]int{}
				for _, en := range parsed.RevokedCertificateEntries {
					got[en.SerialNumber.Text(16)] = en.ReasonCode
				}
				if len(got) != len(want) {
					t.Errorf("%s/%d: got entries %v, want %v", sc.IssuerID, shard, got, want)
				}
				for s, r := range want {
					if gr, ok := got[s]; !ok || gr != r {
						t.Errorf("%s/%d: got entry %s reason %d (present %v), want reason %d", sc.IssuerID, shard, s, gr, ok, r)
					}
				}
				if _, ok := got[good.Serial]; ok {
					t.Errorf("%s/%d: got the unrevoked %s listed, want it absent", sc.IssuerID, shard, good.Serial)
				}
			}
		}
	}
}

func reasonOf(c, revoked *ca.Issued) int {
	if c == revoked {
		return 1
	}
	return 0
}

func TestExpiredLeaveTheCRL(t *testing.T) {
	e := newEnv(t)
	iss := e.issue(t, 4, time.Now())
	tests := []struct {
		name   string
		now    time.Time
		listed bool
	}{
		{"before expiry", iss.NotAfter.Add(-time.Hour), true},
		{"at expiry", iss.NotAfter, false},
		{"after expiry", iss.NotAfter.Add(time.Hour), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGen(t, e, crl.Config{}, func() time.Time { return tt.now })
			if err := g.Generate(t.Context(), iss.IssuerID, iss.Shard); err != nil {
				t.Fatalf("Generate: got error %v, want none", err)
			}
			_, parsed := e.stored(t, iss.IssuerID, iss.Shard)
			listed := len(parsed.RevokedCertificateEntries) == 1 && parsed.RevokedCertificateEntries[0].SerialNumber.Text(16) == iss.Serial
			if listed != tt.listed || len(parsed.RevokedCertificateEntries) > 1 {
				t.Errorf("got %d entries (serial listed %v), want listed %v", len(parsed.RevokedCertificateEntries), listed, tt.listed)
			}
		})
	}
}

func TestRunRegeneratesAfterRevocation(t *testing.T) {
	e := newEnv(t)
	g := newGen(t, e, crl.Config{Period: time.Hour, NextUpdate: 24 * time.Hour, AfterRevocationDelay: 100 * time.Millisecond}, nil)
	runGen(t, g)

	first := e.issue(t, -1, time.Time{})
	waitNumber(t, e, first.IssuerID, first.Shard, 1) // the round at start
	// Two revocations in one shard within the delay share one new CRL.
	second := e.issue(t, -1, time.Time{})
	for second.Shard != first.Shard {
		second = e.issue(t, -1, time.Time{})
	}
	for _, c := range []*ca.Issued{first, second} {
		if err := e.store.RevokeCertificate(t.Context(), c.Serial, 1, time.Now()); err != nil {
			t.Fatal(err)
		}
		g.Revoked(c.IssuerID, c.Shard)
	}
	stored := waitNumber(t, e, first.IssuerID, first.Shard, 2)
	time.Sleep(300 * time.Millisecond)
	if again, _ := e.store.GetCRL(t.Context(), first.IssuerID, first.Shard); again.Number != 2 {
		t.Errorf("after two revocations within the delay: got CRL number %d, want 2 (one regeneration)", again.Number)
	}
	if len(mustParse(t, stored.DER).RevokedCertificateEntries) != 2 {
		t.Errorf("regenerated CRL: got %d entries, want 2", len(mustParse(t, stored.DER).RevokedCertificateEntries))
	}
	for shard := range testShards {
		if shard == first.Shard {
			continue
		}
		if c, _ := e.store.GetCRL(t.Context(), first.IssuerID, shard); c.Number != 1 {
			t.Errorf("untouched shard %d: got CRL number %d, want 1", shard, c.Number)
		}
	}
}

func TestNewRefuses(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name string
		cfg  crl.Config
	}{
		{"next-update past 10 days", crl.Config{NextUpdate: 11 * 24 * time.Hour}},
		{"period not shorter than next-update", crl.Config{Period: 48 * time.Hour, NextUpdate: 48 * time.Hour}},
		{"negative delay", crl.Config{AfterRevocationDelay: -time.Second}},
		{"delay past the period", crl.Config{Period: time.Minute, AfterRevocationDelay: time.Hour}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := crl.New(tt.cfg, crl.Deps{Store: e.store, Signer: e.ca}); err == nil {
				t.Errorf("crl.New(%+v): got no error, want one", tt.cfg)
			}
		})
	}
}

func TestNumbersSurviveRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "quarry.db")
	c := testCA(t)
	for want := int64(1); want <= 2; want++ {
		s, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		g, err := crl.New(crl.Config{}, crl.Deps{Store: s, Signer: c})
		if err != nil {
			t.Fatal(err)
		}
		if err := g.Generate(t.Context(), "e1", 1); err != nil {
			t.Fatalf("Generate: got error %v, want none", err)
		}
		got, err := s.GetCRL(t.Context(), "e1", 1)
		if err != nil || got.Number != want || mustParse(t, got.DER).Number.Int64() != want {
			t.Errorf("start %d: got CRL %v, %v, want number %d", want, got, err, want)
		}
		s.Close()
	}
}
