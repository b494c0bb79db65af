package varemote

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/va"
)

// Perspective performs validations and CAA checks from one place on the
// network: the local VA, or a Client for a remote perspective.
type Perspective interface {
	Validate(ctx context.Context, req va.Request) ([]acme.ValidationRecord, error)
	CheckCAA(ctx context.Context, req va.CAARequest) error
}

// Remote is a named remote perspective.
type Remote interface {
	Perspective
	Name() string
}

// Located is a Remote that knows which regional Internet registry's
// service region it is in (Client does, when configured with one).
type Located interface {
	RIR() string
}

// MultiConfig configures the quorum.
type MultiConfig struct {
	// Timeout bounds how long the remote perspectives are waited for; one
	// that has not answered by then counts as failed.
	Timeout time.Duration
	// MaxFailures, when not negative, is a stricter allowance than the
	// Baseline Requirements' (AllowedFailures).
	MaxFailures int
}

// Multi runs each validation and CAA check on the primary (local) VA and on
// every remote perspective at once, and succeeds only when the primary
// succeeds and enough remotes corroborate. It satisfies ra.Validator.
type Multi struct {
	primary Perspective
	remotes []Remote
	q       quorum
	timeout time.Duration
	log     *slog.Logger
	// rirs is each remote's region by name, when every remote has one: the
	// corroborating remotes must then span two regions.
	rirs map[string]string
}

// NewMulti returns a Multi. A nil log discards.
func NewMulti(cfg MultiConfig, primary Perspective, remotes []Remote, log *slog.Logger) (*Multi, error) {
	if primary == nil {
		return nil, errors.New("varemote: a primary VA is required")
	}
	q, err := newQuorum(len(remotes), cfg.MaxFailures)
	if err != nil {
		return nil, err
	}
	if cfg.Timeout <= 0 {
		return nil, errors.New("varemote: the perspective timeout must be positive")
	}
	rirs, err := remoteRIRs(remotes)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Multi{primary: primary, remotes: remotes, q: q, timeout: cfg.Timeout, log: log, rirs: rirs}, nil
}

// remoteRIRs returns each remote's region when all have one, nil when none
// has, and an error when only some have or all share one: then no quorum
// could ever span two regions.
func remoteRIRs(remotes []Remote) (map[string]string, error) {
	rirs := map[string]string{}
	distinct := map[string]bool{}
	for _, r := range remotes {
		if l, ok := r.(Located); ok && l.RIR() != "" {
			rirs[r.Name()] = l.RIR()
			distinct[l.RIR()] = true
		}
	}
	switch {
	case len(rirs) == 0:
		return nil, nil
	case len(rirs) != len(remotes):
		return nil, errors.New("varemote: either every remote perspective names its regional Internet registry or none does")
	case len(distinct) < 2:
		return nil, errors.New("varemote: the remote perspectives must be in at least two regional Internet registries' regions")
	}
	return rirs, nil
}

// regions is how many distinct regions the corroborating remotes span.
func (m *Multi) regions(corroborated []string) int {
	seen := map[string]bool{}
	for _, name := range corroborated {
		seen[m.rirs[name]] = true
	}
	return len(seen)
}

// met says whether the corroborating remotes satisfy the quorum, regions
// included when they are known.
func (m *Multi) met(corroborated []string, failed int) bool {
	done, met := m.q.decided(len(corroborated), failed)
	return done && met && (m.rirs == nil || m.regions(corroborated) >= 2)
}

// Validate performs req from every perspective. On success it returns the
// primary's records; the remotes' are logged, not kept.
func (m *Multi) Validate(ctx context.Context, req va.Request) ([]acme.ValidationRecord, error) {
	var records []acme.ValidationRecord
	err := m.run(ctx, check{
		what: "validation", verb: "validation succeeded", fallback: core.ErrUnauthorized, id: req.Identifier,
		primary: func(ctx context.Context) error {
			var err error
			records, err = m.primary.Validate(ctx, req)
			return err
		},
		remote: func(ctx context.Context, r Remote) error {
			_, err := r.Validate(ctx, req)
			return err
		},
	})
	return records, err
}

// CheckCAA checks CAA from every perspective.
func (m *Multi) CheckCAA(ctx context.Context, req va.CAARequest) error {
	if req.Identifier.Type == acme.IdentifierIP {
		return m.primary.CheckCAA(ctx, req) // IP identifiers have no CAA to corroborate
	}
	return m.run(ctx, check{
		what: "CAA check", verb: "CAA permitted issuance", fallback: core.ErrCAA, id: req.Identifier,
		primary: func(ctx context.Context) error { return m.primary.CheckCAA(ctx, req) },
		remote:  func(ctx context.Context, r Remote) error { return r.CheckCAA(ctx, req) },
	})
}

// check is one corroborated operation.
type check struct {
	what     string // for logs
	verb     string // "validation succeeded", for the subscriber's error
	fallback core.Kind
	id       acme.Identifier
	primary  func(ctx context.Context) error
	remote   func(ctx context.Context, r Remote) error
}

type outcome struct {
	name string
	err  error
}

// run starts the primary and every remote at once. The primary's failure
// is returned as it is; otherwise it waits until the remotes settle the
// quorum (or the timeout counts the silent ones as failed).
func (m *Multi) run(ctx context.Context, c check) error {
	rctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	results := make(chan outcome, len(m.remotes))
	for _, r := range m.remotes {
		go func() { results <- outcome{name: r.Name(), err: c.remote(rctx, r)} }()
	}
	if err := c.primary(ctx); err != nil {
		return err
	}
	var failed []outcome
	var ok []string
	for range m.remotes {
		o := <-results
		if o.err == nil {
			ok = append(ok, o.name)
		} else {
			failed = append(failed, o)
			m.log.InfoContext(ctx, "remote perspective did not corroborate", slog.String("check", c.what),
				slog.String("identifier", c.id.Value), slog.String("perspective", o.name), slog.String("error", o.err.Error()))
		}
		if m.met(ok, len(failed)) {
			// The rest are cancelled; their answers cannot change this.
			m.logResult(ctx, c, len(ok), len(failed), true)
			return nil
		}
	}
	m.logResult(ctx, c, len(ok), len(failed), false)
	return m.quorumError(c, ok, failed)
}

func (m *Multi) logResult(ctx context.Context, c check, ok, failed int, met bool) {
	m.log.InfoContext(ctx, "multi-perspective "+c.what, slog.String("identifier", c.id.Value),
		slog.Bool("quorum_met", met), slog.Int("corroborated", ok), slog.Int("failed", failed),
		slog.Int("remotes", len(m.remotes)), slog.Int("needed", m.q.needed()))
}

// quorumError says how many remote perspectives corroborated, of the kind
// the subscriber-facing failures share (else fallback), with one of their
// details. When every failure was a perspective's own, the error is
// serverInternal: nothing the subscriber did was refused.
func (m *Multi) quorumError(c check, ok []string, failed []outcome) error {
	msg := fmt.Sprintf("%s from %d of %d remote perspectives; at least %d needed", c.verb, len(ok), len(m.remotes), m.q.needed())
	if len(ok) >= m.q.needed() {
		msg = fmt.Sprintf("%s from %d of %d remote perspectives, all in one regional Internet registry's region; at least 2 regions needed", c.verb, len(ok), len(m.remotes))
	}
	var kind core.Kind
	var first *core.Error
	for _, o := range failed {
		ce := core.AsError(o.err)
		if ce.Kind == core.ErrServerInternal {
			continue
		}
		if first == nil {
			first, kind = ce, ce.Kind
		} else if ce.Kind != kind {
			kind = c.fallback
		}
	}
	if first == nil {
		return core.Errorf(core.ErrServerInternal, "%s", msg)
	}
	if first.Detail != "" {
		msg += "; a remote perspective reported: " + first.Detail
	}
	return core.Errorf(kind, "%s", msg)
}
