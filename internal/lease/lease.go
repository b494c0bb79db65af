package lease

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Store holds lease rows.
type Store interface {
	// AcquireLease takes the named lease for holder until expires when it
	// is free, expired at now, or already held by holder.
	AcquireLease(ctx context.Context, name, holder string, now, expires time.Time) (bool, error)
	// ReleaseLease gives the lease up if holder holds it.
	ReleaseLease(ctx context.Context, name, holder string) error
}

// Config says which lease to hold and for how long.
type Config struct {
	// Name is the lease row; instances contending for one job set use one
	// name.
	Name string
	// Instance names this instance in logs and in the lease row; a random
	// suffix keeps two instances configured with one name apart.
	Instance string
	// TTL is how long a lease lasts unrenewed: the longest a dead leader's
	// jobs go unrun. Default 15s.
	TTL time.Duration
	// Renew is how often the leader renews and the others try to take
	// over; default TTL/3. It must be under TTL/2, so a renewal that fails
	// after its full timeout still ends the jobs before the lease lapses.
	Renew time.Duration
	Clock func() time.Time // time.Now by default
}

// Defaults.
const (
	DefaultTTL = 15 * time.Second
)

// Elector runs jobs while this instance holds the lease.
type Elector struct {
	cfg    Config
	holder string
	store  Store
	log    *slog.Logger
}

// New returns an elector on store.
func New(cfg Config, store Store, log *slog.Logger) (*Elector, error) {
	if store == nil || cfg.Name == "" {
		return nil, errors.New("lease: a store and a lease name are required")
	}
	if cfg.TTL == 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.Renew == 0 {
		cfg.Renew = cfg.TTL / 3
	}
	if cfg.TTL <= 0 || cfg.Renew <= 0 || cfg.Renew*2 >= cfg.TTL {
		return nil, errors.New("lease: TTL must be positive and Renew under TTL/2")
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var suffix [6]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return nil, err
	}
	holder := hex.EncodeToString(suffix[:])
	if cfg.Instance != "" {
		holder = cfg.Instance + "/" + holder
	}
	return &Elector{cfg: cfg, holder: holder, store: store, log: log}, nil
}

// Holder is what this instance writes in the lease row.
func (e *Elector) Holder() string { return e.holder }

// Tick tries once to take or renew the lease and reports whether this
// instance holds it. A failed or slow attempt counts as not holding it:
// stepping down early is safe, leading past the lease is not.
func (e *Elector) Tick(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Renew)
	defer cancel()
	now := e.cfg.Clock()
	ok, err := e.store.AcquireLease(ctx, e.cfg.Name, e.holder, now, now.Add(e.cfg.TTL))
	if err != nil {
		if ctx.Err() == nil || errors.Is(err, context.DeadlineExceeded) {
			e.log.WarnContext(ctx, "lease attempt failed", slog.String("lease", e.cfg.Name), slog.String("error", err.Error()))
		}
		return false
	}
	return ok
}

// Run tries for the lease every Renew until ctx ends. While this instance
// holds it, every job runs in its own goroutine with a context that ends
// when the lease is lost; jobs must return promptly once it does. When ctx
// ends, Run stops the jobs, waits for them and releases the lease.
func (e *Elector) Run(ctx context.Context, jobs ...func(ctx context.Context)) {
	tick := time.NewTicker(e.cfg.Renew)
	defer tick.Stop()
	var stop func()
	defer func() {
		if stop != nil {
			stop()
			e.release(ctx)
		}
	}()
	for {
		leader := e.Tick(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case leader && stop == nil:
			e.log.InfoContext(ctx, "this instance now runs background jobs", slog.String("lease", e.cfg.Name), slog.String("holder", e.holder))
			stop = start(ctx, jobs)
		case !leader && stop != nil:
			stop()
			stop = nil
			e.log.WarnContext(ctx, "this instance lost the lease and stopped background jobs", slog.String("lease", e.cfg.Name))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// release gives the lease up so another instance takes over at once.
func (e *Elector) release(ctx context.Context) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.cfg.Renew)
	defer cancel()
	if err := e.store.ReleaseLease(rctx, e.cfg.Name, e.holder); err != nil {
		e.log.WarnContext(rctx, "releasing the lease", slog.String("lease", e.cfg.Name), slog.String("error", err.Error()))
	}
}

// start runs jobs; the returned function cancels them and waits.
func start(ctx context.Context, jobs []func(context.Context)) func() {
	jctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, job := range jobs {
		wg.Go(func() { job(jctx) })
	}
	return func() {
		cancel()
		wg.Wait()
	}
}
