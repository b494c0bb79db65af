package crl

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Run generates every CRL at once, then again every Period, and the shards
// Revoked names, or a poll of the store finds revocations in, within
// AfterRevocationDelay, until ctx ends. Failures are logged and retried on
// the next round; Run returns only when ctx ends.
func (g *Generator) Run(ctx context.Context) { g.loop(ctx, true, true) }

// RunRounds is the full rounds of Run, and the poll for revocations made
// elsewhere, alone: with several instances, only the one holding the
// background-jobs lease runs it. The shards its poll finds are regenerated
// by RunRevocations on the same generator.
func (g *Generator) RunRounds(ctx context.Context) { g.loop(ctx, true, false) }

// RunRevocations is the after-revocation regenerations of Run alone: every
// instance runs it for the revocations it made, since CRL numbers are
// allocated atomically and the highest number wins.
func (g *Generator) RunRevocations(ctx context.Context) { g.loop(ctx, false, true) }

func (g *Generator) loop(ctx context.Context, rounds, revocations bool) {
	var roundC, pollC <-chan time.Time
	var scopes map[shardKey]bool
	if rounds {
		// The first round lists everything revoked so far; polls look for
		// what comes after it.
		g.recent.setFloor(g.now().Add(-pollOverlap))
		g.all(ctx)
		tick := time.NewTicker(g.cfg.Period)
		defer tick.Stop()
		roundC = tick.C
		poll := time.NewTicker(g.cfg.PollInterval)
		defer poll.Stop()
		pollC = poll.C
		scopes = g.publishedShards()
	}
	var dirtyC <-chan struct{}
	if revocations {
		dirtyC = g.dirty.signal
	}
	var (
		delay  *time.Timer
		expire <-chan time.Time
	)
	for {
		select {
		case <-ctx.Done():
			if delay != nil {
				delay.Stop()
			}
			return
		case <-roundC:
			g.dirty.take() // a full round covers them
			g.all(ctx)
		case <-pollC:
			g.poll(ctx, scopes)
		case <-dirtyC:
			// The first revocation starts the clock; later ones ride along.
			if expire == nil {
				delay = time.NewTimer(g.cfg.AfterRevocationDelay)
				expire = delay.C
			}
		case <-expire:
			expire, delay = nil, nil
			for _, k := range g.dirty.take() {
				err := g.Generate(ctx, k.issuerID, k.shard)
				switch {
				case err == nil:
					g.log.InfoContext(ctx, "CRL regenerated after revocation", slog.String("issuer", k.issuerID), slog.Int("shard", k.shard))
				case ctx.Err() == nil:
					g.log.ErrorContext(ctx, "regenerating a CRL after revocation", slog.String("error", err.Error()))
					g.dirty.add(k) // try again after the next delay
				}
			}
		}
	}
}

func (g *Generator) all(ctx context.Context) {
	start := g.now()
	if err := g.GenerateAll(ctx); err != nil {
		if ctx.Err() == nil {
			g.log.ErrorContext(ctx, "regenerating CRLs", slog.String("error", err.Error()))
		}
		return
	}
	g.log.InfoContext(ctx, "CRLs regenerated", slog.Duration("took", g.now().Sub(start)))
}

type shardKey struct {
	issuerID string
	shard    int
}

// dirtySet collects shards that need a new CRL; signal has a value
// whenever something was added since the last take.
type dirtySet struct {
	mu     sync.Mutex
	keys   map[shardKey]struct{}
	signal chan struct{}
}

func newDirtySet() *dirtySet {
	return &dirtySet{keys: map[shardKey]struct{}{}, signal: make(chan struct{}, 1)}
}

func (d *dirtySet) add(k shardKey) {
	d.mu.Lock()
	d.keys[k] = struct{}{}
	d.mu.Unlock()
	select {
	case d.signal <- struct{}{}:
	default:
	}
}

func (d *dirtySet) take() []shardKey {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]shardKey, 0, len(d.keys))
	for k := range d.keys {
		out = append(out, k)
	}
	clear(d.keys)
	return out
}
