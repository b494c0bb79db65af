package crl

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/quarry-ca/quarry/internal/ca"
	"github.com/quarry-ca/quarry/internal/core"
)

// Store is the storage the generator reads revocations from and publishes
// CRLs into.
type Store interface {
	RevokedCertificates(ctx context.Context, issuerID string, shard int, now time.Time,
		fn func(serial string, revokedAt time.Time, reason int) error) error
	NextCRLNumber(ctx context.Context, issuerID string, shard int) (int64, error)
	PutCRL(ctx context.Context, crl *core.CRL) error
	// RevokedSince reports revocations made after since by any process
	// sharing the store (poll.go).
	RevokedSince(ctx context.Context, since time.Time,
		fn func(issuerID string, shard int, serial string, revokedAt time.Time) error) error
}

// Signer signs CRLs and lists the shards it publishes.
type Signer interface {
	CRLScopes() []ca.CRLScope
	SignCRL(ctx context.Context, req ca.CRLRequest, entries ca.RevokedEntries) ([]byte, error)
}

// Config says how often CRLs are regenerated and how long they are valid.
type Config struct {
	// Period is how often every shard is regenerated; default 6h.
	Period time.Duration
	// NextUpdate is how long a CRL is valid (nextUpdate - thisUpdate);
	// default 7 days. The BRs allow at most 10 days for leaf CRLs.
	NextUpdate time.Duration
	// AfterRevocationDelay bounds how long a revocation waits to reach its
	// shard's CRL; revocations within it share one regeneration. Default 1m.
	AfterRevocationDelay time.Duration
	// PollInterval is how often the store is asked for revocations this
	// process was not told of (quarry admin, other instances). Default:
	// AfterRevocationDelay, at least a second; so such a revocation reaches
	// its CRL within PollInterval plus AfterRevocationDelay.
	PollInterval time.Duration
}

// Defaults.
const (
	DefaultPeriod               = 6 * time.Hour
	DefaultNextUpdate           = 7 * 24 * time.Hour
	DefaultAfterRevocationDelay = time.Minute
	maxNextUpdate               = 10 * 24 * time.Hour
)

// Deps are the generator's collaborators.
type Deps struct {
	Store  Store
	Signer Signer
	Log    *slog.Logger
	Clock  func() time.Time
}

// Generator regenerates CRLs. Revoked may be called from any goroutine;
// Run does the work.
type Generator struct {
	cfg    Config
	store  Store
	signer Signer
	log    *slog.Logger
	now    func() time.Time
	dirty  *dirtySet
	recent *recentSet
}

// New checks cfg, fills defaults and returns a generator.
func New(cfg Config, deps Deps) (*Generator, error) {
	if deps.Store == nil || deps.Signer == nil {
		return nil, errors.New("crl: store and signer are required")
	}
	if cfg.Period == 0 {
		cfg.Period = DefaultPeriod
	}
	if cfg.NextUpdate == 0 {
		cfg.NextUpdate = DefaultNextUpdate
	}
	if cfg.AfterRevocationDelay == 0 {
		cfg.AfterRevocationDelay = DefaultAfterRevocationDelay
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = max(cfg.AfterRevocationDelay, minPollInterval)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	g := &Generator{cfg: cfg, store: deps.Store, signer: deps.Signer, log: deps.Log, now: deps.Clock,
		dirty: newDirtySet(), recent: newRecentSet()}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	if g.now == nil {
		g.now = time.Now
	}
	return g, nil
}

func (cfg Config) validate() error {
	switch {
	case cfg.Period <= 0 || cfg.NextUpdate <= 0 || cfg.AfterRevocationDelay < 0:
		return errors.New("crl: period and next-update must be positive, after-revocation-delay not negative")
	case cfg.NextUpdate > maxNextUpdate:
		return fmt.Errorf("crl: next-update %v is past the BRs' 10 days", cfg.NextUpdate)
	case cfg.Period >= cfg.NextUpdate:
		return fmt.Errorf("crl: period %v must be shorter than next-update %v, or CRLs lapse", cfg.Period, cfg.NextUpdate)
	case cfg.AfterRevocationDelay > cfg.Period:
		return fmt.Errorf("crl: after-revocation-delay %v must not exceed period %v", cfg.AfterRevocationDelay, cfg.Period)
	case cfg.PollInterval < 0 || cfg.PollInterval > cfg.Period:
		return fmt.Errorf("crl: poll interval %v must be between 0 and period %v", cfg.PollInterval, cfg.Period)
	}
	return nil
}

// Revoked tells the generator a certificate of issuerID's shard was
// revoked; the shard is regenerated within AfterRevocationDelay. It never
// blocks.
func (g *Generator) Revoked(issuerID string, shard int) { g.dirty.add(shardKey{issuerID, shard}) }

// GenerateAll regenerates every shard of every issuer, carrying on past a
// failed shard and returning every failure.
func (g *Generator) GenerateAll(ctx context.Context) error {
	var errs []error
	for _, sc := range g.signer.CRLScopes() {
		for shard := range sc.Shards {
			if err := g.Generate(ctx, sc.IssuerID, shard); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// Generate signs and publishes one shard's CRL with the next CRL number.
func (g *Generator) Generate(ctx context.Context, issuerID string, shard int) error {
	now := g.now().UTC().Truncate(time.Second)
	number, err := g.store.NextCRLNumber(ctx, issuerID, shard)
	if err != nil {
		return fmt.Errorf("CRL of %s shard %d: %w", issuerID, shard, err)
	}
	req := ca.CRLRequest{IssuerID: issuerID, Shard: shard, Number: number, ThisUpdate: now, NextUpdate: now.Add(g.cfg.NextUpdate)}
	// Revocations recent enough for a poll to report again are noted, so
	// that poll does not regenerate this shard for them a second time.
	// Before Run starts polling (zero floor) there is nothing to note.
	floor := g.recent.currentFloor()
	var listed []listedSerial
	der, err := g.signer.SignCRL(ctx, req, func(fn func(string, time.Time, int) error) error {
		return g.store.RevokedCertificates(ctx, issuerID, shard, now, func(serial string, at time.Time, reason int) error {
			if !floor.IsZero() && at.After(floor) {
				listed = append(listed, listedSerial{serial, at})
			}
			return fn(serial, at, reason)
		})
	})
	if err != nil {
		return fmt.Errorf("CRL of %s shard %d: %w", issuerID, shard, err)
	}
	crl := &core.CRL{IssuerID: issuerID, Shard: shard, Number: number, DER: der, ThisUpdate: req.ThisUpdate, NextUpdate: req.NextUpdate}
	if err := g.store.PutCRL(ctx, crl); err != nil {
		return fmt.Errorf("CRL of %s shard %d: %w", issuerID, shard, err)
	}
	g.recent.addAll(listed)
	return nil
}
