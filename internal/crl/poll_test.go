package crl_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/internal/crl"
)

// TestPollFindsRevocationsMadeElsewhere revokes in the store without
// telling the generator, as quarry admin or another instance does, and
// checks each revocation reaches its shard's CRL exactly once.
func TestPollFindsRevocationsMadeElsewhere(t *testing.T) {
	tests := []struct {
		name string
		// stampedAgo is how far behind this process's clock the revoking
		// process stamped the revocation (clock skew, slow commit).
		stampedAgo time.Duration
		tell       bool // the in-process path also reports it (Revoked)
	}{
		{"stamped now", 0, false},
		{"stamped two minutes behind", 2 * time.Minute, false},
		{"also reported in process", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			g := newGen(t, e, crl.Config{Period: time.Hour, NextUpdate: 24 * time.Hour,
				AfterRevocationDelay: 50 * time.Millisecond, PollInterval: 100 * time.Millisecond}, nil)
			runGen(t, g)

			iss := e.issue(t, -1, time.Time{})
			waitNumber(t, e, iss.IssuerID, iss.Shard, 1) // the round at start
			if err := e.store.RevokeCertificate(t.Context(), iss.Serial, 1, time.Now().Add(-tc.stampedAgo)); err != nil {
				t.Fatal(err)
			}
			if tc.tell {
				g.Revoked(iss.IssuerID, iss.Shard)
			}
			got := waitNumber(t, e, iss.IssuerID, iss.Shard, 2)
			if l := mustParse(t, got.DER); len(l.RevokedCertificateEntries) != 1 || l.RevokedCertificateEntries[0].SerialNumber.Text(16) != iss.Serial {
				t.Errorf("CRL after the poll: got %d entries, want %s listed", len(l.RevokedCertificateEntries), iss.Serial)
			}
			time.Sleep(600 * time.Millisecond) // several polls, each looking back over the revocation
			if again, _ := e.store.GetCRL(t.Context(), iss.IssuerID, iss.Shard); again.Number != 2 {
				t.Errorf("after more polls: got CRL number %d, want 2 (one regeneration per revocation)", again.Number)
			}
		})
	}
}

// TestPollOnTheLeaseHolder runs the generator as a cluster instance holding
// the background-jobs lease does: rounds (and the poll) in one goroutine,
// after-revocation regenerations in another.
func TestPollOnTheLeaseHolder(t *testing.T) {
	e := newEnv(t)
	g := newGen(t, e, crl.Config{Period: time.Hour, NextUpdate: 24 * time.Hour,
		AfterRevocationDelay: 50 * time.Millisecond, PollInterval: 100 * time.Millisecond}, nil)
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); g.RunRounds(ctx) }()
	go func() { defer wg.Done(); g.RunRevocations(ctx) }()
	defer func() { cancel(); wg.Wait() }()

	iss := e.issue(t, -1, time.Time{})
	waitNumber(t, e, iss.IssuerID, iss.Shard, 1)
	if err := e.store.RevokeCertificate(t.Context(), iss.Serial, 1, time.Now()); err != nil {
		t.Fatal(err)
	}
	got := waitNumber(t, e, iss.IssuerID, iss.Shard, 2)
	if l := mustParse(t, got.DER); len(l.RevokedCertificateEntries) != 1 {
		t.Errorf("CRL after the poll: got %d entries, want 1", len(l.RevokedCertificateEntries))
	}
}

// TestPollLeavesOldRevocationsToTheFirstRound checks a generator that
// starts over a store with revocations does not regenerate their shards
// again on its first polls: the round at start already lists them.
func TestPollLeavesOldRevocationsToTheFirstRound(t *testing.T) {
	e := newEnv(t)
	recent := e.issue(t, 1, time.Now().Add(-time.Minute))
	old := e.issue(t, 4, time.Now().Add(-time.Hour))
	g := newGen(t, e, crl.Config{Period: time.Hour, NextUpdate: 24 * time.Hour,
		AfterRevocationDelay: 50 * time.Millisecond, PollInterval: 100 * time.Millisecond}, nil)
	runGen(t, g)
	waitNumber(t, e, recent.IssuerID, recent.Shard, 1)
	waitNumber(t, e, old.IssuerID, old.Shard, 1)
	time.Sleep(600 * time.Millisecond)
	for _, iss := range []struct {
		name, issuer string
		shard        int
	}{{"revoked a minute ago", recent.IssuerID, recent.Shard}, {"revoked an hour ago", old.IssuerID, old.Shard}} {
		if c, _ := e.store.GetCRL(t.Context(), iss.issuer, iss.shard); c.Number != 1 {
			t.Errorf("%s: got CRL number %d after several polls, want 1", iss.name, c.Number)
		}
	}
}

func TestNewRefusesPollInterval(t *testing.T) {
	e := newEnv(t)
	for _, cfg := range []crl.Config{
		{PollInterval: -time.Second},
		{Period: time.Minute, NextUpdate: time.Hour, PollInterval: time.Hour},
	} {
		if _, err := crl.New(cfg, crl.Deps{Store: e.store, Signer: e.ca}); err == nil {
			t.Errorf("crl.New(%+v): got no error, want one", cfg)
		}
	}
}
