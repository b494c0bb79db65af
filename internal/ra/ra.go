package ra

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/ca"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/growstack"
	"github.com/quarry-ca/quarry/internal/storage"
	"github.com/quarry-ca/quarry/internal/va"
)

// Validator performs one challenge validation and checks CAA.
type Validator interface {
	Validate(ctx context.Context, req va.Request) ([]acme.ValidationRecord, error)
	CheckCAA(ctx context.Context, req va.CAARequest) error
}

// Issuer signs certificates and knows the chains above them.
type Issuer interface {
	Issue(ctx context.Context, req ca.IssueRequest) (*ca.Issued, error)
	Chains(issuerID string) [][]*x509.Certificate
}

// Policy decides which identifiers, keys and CSRs are acceptable.
type Policy interface {
	CheckIdentifiers(ids []acme.Identifier) error
	CheckKey(pub crypto.PublicKey) error
	CheckCSR(csr *x509.CertificateRequest, ids []acme.Identifier, accountKey crypto.PublicKey) error
}

// RevocationListener learns of each revocation, so the certificate's CRL
// shard is regenerated soon instead of at the next scheduled round.
type RevocationListener interface {
	Revoked(issuerID string, shard int)
}

// Config holds the RA's lifetimes and admission rules.
type Config struct {
	OrderLifetime        time.Duration
	PendingAuthzLifetime time.Duration
	ValidAuthzLifetime   time.Duration
	ValidationTimeout    time.Duration
	// ChallengeWait bounds how long a challenge response waits for its
	// validation's outcome; 0 means DefaultChallengeWait, negative not at all.
	ChallengeWait time.Duration
	// TermsOfService, when set, must be agreed to by new accounts.
	TermsOfService string
	// EABRequired refuses accounts without an external account binding.
	EABRequired bool
	// Profiles are the certificate profiles newOrder may name; the first is
	// the default. Empty means ca.DefaultProfiles.
	Profiles []ca.Profile
	// SkipCAA turns CAA checking off (policy.check-caa: false), for private
	// PKIs whose names have no CAA records worth asking for.
	SkipCAA bool
	// AccountURLPrefix followed by an account's ID is the account's URL,
	// which CAA accounturi parameters (RFC 8657) name.
	AccountURLPrefix string
}

// Deps are the RA's collaborators.
type Deps struct {
	Store  storage.Store
	VA     Validator
	CA     Issuer
	Policy Policy
	CRL    RevocationListener // optional
	Limits RateLimiter        // optional: nil applies no rate limits
	Log    *slog.Logger
	Clock  func() time.Time
	Rand   io.Reader
}

// RA is the registration authority.
type RA struct {
	cfg   Config
	store storage.Store
	va    Validator
	ca    Issuer
	pol   Policy
	crl   RevocationListener
	lim   RateLimiter
	log   *slog.Logger
	now   func() time.Time
	rand  io.Reader

	// work tracks validations and issuances that outlive their request, so
	// shutdown can wait for them instead of leaving objects half-changed.
	mu      sync.Mutex
	closing bool
	work    sync.WaitGroup
}

// New returns an RA. Missing clock, randomness and logger get defaults.
func New(cfg Config, deps Deps) (*RA, error) {
	if deps.Store == nil || deps.VA == nil || deps.CA == nil || deps.Policy == nil {
		return nil, errors.New("ra: store, va, ca and policy are required")
	}
	if cfg.OrderLifetime <= 0 || cfg.PendingAuthzLifetime <= 0 || cfg.ValidAuthzLifetime <= 0 {
		return nil, errors.New("ra: lifetimes must be positive")
	}
	if cfg.ValidationTimeout <= 0 {
		cfg.ValidationTimeout = 30 * time.Second
	}
	if cfg.ChallengeWait == 0 {
		cfg.ChallengeWait = DefaultChallengeWait
	}
	if len(cfg.Profiles) == 0 {
		cfg.Profiles = ca.DefaultProfiles()
	}
	r := &RA{cfg: cfg, store: deps.Store, va: deps.VA, ca: deps.CA, pol: deps.Policy, crl: deps.CRL,
		log: deps.Log, now: deps.Clock, rand: deps.Rand}
	r.lim = deps.Limits
	if r.lim == nil {
		r.lim = noLimits{}
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.rand == nil {
		r.rand = rand.Reader
	}
	return r, nil
}

// background runs f outside the request's lifetime, tracked for Drain.
func (r *RA) background(f func()) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing {
		return core.Errorf(core.ErrServerInternal, "the server is shutting down; try again shortly")
	}
	r.work.Add(1)
	go func() {
		defer r.work.Done()
		growstack.Grow() // validations and issuances run deep (SQLite, zlint)
		f()
	}()
	return nil
}

// Drain refuses new background work and waits for what is running, or for
// ctx to end.
func (r *RA) Drain(ctx context.Context) error {
	r.mu.Lock()
	r.closing = true
	r.mu.Unlock()
	done := make(chan struct{})
	go func() { r.work.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("draining background work: %w", ctx.Err())
	}
}

// Now is the RA's clock, for callers that derive statuses.
func (r *RA) Now() time.Time { return r.now() }

func (r *RA) token() (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(r.rand, b); err != nil {
		return "", fmt.Errorf("making token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
