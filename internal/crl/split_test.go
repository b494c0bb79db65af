package crl_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/crl"
)

// TestRunRevocationsAlone is a non-leader instance: it runs no full round,
// but still regenerates the shard of a revocation it made.
func TestRunRevocationsAlone(t *testing.T) {
	e := newEnv(t)
	g := newGen(t, e, crl.Config{Period: time.Hour, NextUpdate: 24 * time.Hour, AfterRevocationDelay: 50 * time.Millisecond}, nil)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { g.RunRevocations(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	revoked := e.issue(t, 1, time.Now())
	other := (revoked.Shard + 1) % testShards
	time.Sleep(200 * time.Millisecond)
	if _, err := e.store.GetCRL(t.Context(), revoked.IssuerID, revoked.Shard); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("before any revocation signal: got %v, want no CRL (no round at start)", err)
	}
	g.Revoked(revoked.IssuerID, revoked.Shard)
	c := waitNumber(t, e, revoked.IssuerID, revoked.Shard, 1)
	if n := len(mustParse(t, c.DER).RevokedCertificateEntries); n != 1 {
		t.Errorf("regenerated CRL: got %d entries, want 1", n)
	}
	if _, err := e.store.GetCRL(t.Context(), revoked.IssuerID, other); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("untouched shard %d: got %v, want no CRL", other, err)
	}
}

// TestRunRoundsAlone is the leader's job: a full round at start, and
// stopping when its context ends (the lease is lost).
func TestRunRoundsAlone(t *testing.T) {
	e := newEnv(t)
	g := newGen(t, e, crl.Config{Period: time.Hour, NextUpdate: 24 * time.Hour}, nil)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { g.RunRounds(ctx); close(done) }()
	c := e.issue(t, -1, time.Time{})
	waitNumber(t, e, c.IssuerID, c.Shard, 1)
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("RunRounds did not return within 5s of its context ending")
	}
}
