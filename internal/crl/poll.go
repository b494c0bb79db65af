package crl

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// A revocation reaches the generator two ways: Revoked, from the RA in
// this process, and a poll of the store, for revocations made elsewhere
// (quarry admin, another instance sharing the database).

const (
	// minPollInterval keeps a zero AfterRevocationDelay from turning the
	// poll into a busy loop.
	minPollInterval = time.Second
	// pollOverlap is how far before the previous poll each poll looks
	// again. A revocation is stamped by the clock of the process that
	// makes it, before it commits, so it can land behind this process's
	// watermark by commit latency plus clock skew.
	pollOverlap = 5 * time.Minute
)

// poll marks dirty the shards of revocations made since the last poll that
// no CRL lists yet, and moves the watermark forward only on success, so a
// failed poll is retried in full.
func (g *Generator) poll(ctx context.Context, scopes map[shardKey]bool) {
	start := g.now()
	since := g.recent.currentFloor()
	found := 0
	err := g.store.RevokedSince(ctx, since, func(issuerID string, shard int, serial string, at time.Time) error {
		k := shardKey{issuerID, shard}
		// A shard this CA no longer publishes cannot be regenerated.
		if scopes[k] && g.recent.add(serial, at) {
			g.dirty.add(k)
			found++
		}
		return nil
	})
	if err != nil {
		if ctx.Err() == nil {
			g.log.ErrorContext(ctx, "polling for revocations", slog.String("error", err.Error()))
		}
		return
	}
	if found > 0 {
		g.log.InfoContext(ctx, "revocations made elsewhere found", slog.Int("count", found))
	}
	g.recent.setFloor(start.Add(-pollOverlap))
}

// publishedShards is the set of shards Generate can sign.
func (g *Generator) publishedShards() map[shardKey]bool {
	out := map[shardKey]bool{}
	for _, sc := range g.signer.CRLScopes() {
		for shard := range sc.Shards {
			out[shardKey{sc.IssuerID, shard}] = true
		}
	}
	return out
}

type listedSerial struct {
	serial string
	at     time.Time
}

// recentSet remembers serials revoked after floor that a published CRL
// lists or a poll has reported, so the polls' overlap never regenerates a
// shard twice for one revocation. It holds only the last few minutes'
// revocations.
type recentSet struct {
	mu     sync.Mutex
	floor  time.Time
	serial map[string]time.Time
}

func newRecentSet() *recentSet { return &recentSet{serial: map[string]time.Time{}} }

func (r *recentSet) currentFloor() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.floor
}

// add records serial and reports whether it is new and recent.
func (r *recentSet) add(serial string, at time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.serial[serial]; ok || !at.After(r.floor) {
		return false
	}
	r.serial[serial] = at
	return true
}

func (r *recentSet) addAll(l []listedSerial) {
	for _, s := range l {
		r.add(s.serial, s.at)
	}
}

// setFloor forgets what no later poll can report again. The floor never
// goes back, even if the clock does.
func (r *recentSet) setFloor(floor time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !floor.After(r.floor) {
		return
	}
	r.floor = floor
	for s, at := range r.serial {
		if !at.After(floor) {
			delete(r.serial, s)
		}
	}
}
