package va

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// Config says where and how the VA validates.
type Config struct {
	HTTPPort     int           // port for http-01 (default 80; tests use others)
	TLSPort      int           // port for tls-alpn-01 and https redirects (default 443)
	DNSResolver  string        // "host:port" of a recursive resolver; "" = system resolver
	AllowPrivate bool          // permit loopback/private/link-local/reserved targets (dev/test)
	Timeout      time.Duration // whole-validation timeout (default 10s)
	UserAgent    string        // default "Quarry-VA"
	// CAAIdentities are the issuer domain names in CAA records that mean
	// this CA. None means any issue or issuewild record refuses issuance.
	CAAIdentities []string
}

const (
	defaultHTTPPort  = 80
	defaultTLSPort   = 443
	defaultTimeout   = 10 * time.Second
	defaultUserAgent = "Quarry-VA"
)

// VA performs validations. It is safe for concurrent use.
type VA struct {
	cfg      Config
	log      *slog.Logger
	resolver resolver
	guard    *guard
}

// Request is one validation to perform.
type Request struct {
	Identifier       acme.Identifier // dns (wildcard prefix already removed) or ip
	Wildcard         bool
	Challenge        acme.ChallengeType
	Token            string
	KeyAuthorization string
}

// New checks cfg, fills its defaults and returns a VA. A nil log discards.
func New(cfg Config, log *slog.Logger) (*VA, error) {
	cfg, err := withDefaults(cfg)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	v := &VA{cfg: cfg, log: log, guard: newGuard(cfg.AllowPrivate)}
	if cfg.DNSResolver != "" {
		v.resolver = newDNSResolver(cfg.DNSResolver)
	} else {
		v.resolver = systemResolver{r: &net.Resolver{}, caa: systemCAAResolver()}
	}
	return v, nil
}

func withDefaults(cfg Config) (Config, error) {
	if cfg.HTTPPort == 0 {
		cfg.HTTPPort = defaultHTTPPort
	}
	if cfg.TLSPort == 0 {
		cfg.TLSPort = defaultTLSPort
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = defaultTimeout
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = defaultUserAgent
	}
	for _, p := range []int{cfg.HTTPPort, cfg.TLSPort} {
		if p < 1 || p > 65535 {
			return cfg, fmt.Errorf("va: port %d out of range", p)
		}
	}
	if cfg.Timeout < 0 {
		return cfg, fmt.Errorf("va: negative timeout %s", cfg.Timeout)
	}
	if cfg.DNSResolver != "" {
		if _, _, err := net.SplitHostPort(cfg.DNSResolver); err != nil {
			// A bare host means the standard port.
			cfg.DNSResolver = net.JoinHostPort(cfg.DNSResolver, "53")
		}
		if _, port, _ := net.SplitHostPort(cfg.DNSResolver); port == "" {
			return cfg, fmt.Errorf("va: dns resolver %q has no port", cfg.DNSResolver)
		}
	}
	return cfg, nil
}

// Validate runs one validation. On failure err is a *core.Error whose kind
// and detail tell the subscriber what went wrong. records are returned on
// success and failure alike.
func (v *VA) Validate(ctx context.Context, req Request) (records []acme.ValidationRecord, err error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, v.cfg.Timeout)
	defer cancel()
	defer func() { v.logResult(ctx, req, start, err) }()

	if err := v.checkRequest(req); err != nil {
		return nil, err
	}
	switch req.Challenge {
	case acme.ChallengeHTTP01:
		return v.validateHTTP01(ctx, req)
	case acme.ChallengeDNS01:
		return v.validateDNS01(ctx, req)
	case acme.ChallengeTLSALPN01:
		return v.validateTLSALPN01(ctx, req)
	}
	return nil, core.Errorf(core.ErrMalformed, "unsupported challenge type %q", req.Challenge)
}

// checkRequest refuses requests no challenge could satisfy.
func (v *VA) checkRequest(req Request) error {
	switch req.Challenge {
	case acme.ChallengeHTTP01, acme.ChallengeDNS01, acme.ChallengeTLSALPN01:
	default:
		return core.Errorf(core.ErrMalformed, "unsupported challenge type %q", req.Challenge)
	}
	if req.Wildcard && req.Challenge != acme.ChallengeDNS01 {
		return core.Errorf(core.ErrMalformed, "wildcard identifiers can only be validated with dns-01, not %s", req.Challenge)
	}
	if !validToken(req.Token) {
		return core.Errorf(core.ErrMalformed, "challenge token is not a non-empty base64url string")
	}
	if req.KeyAuthorization == "" {
		return core.Errorf(core.ErrMalformed, "empty key authorization")
	}
	switch req.Identifier.Type {
	case acme.IdentifierDNS:
		if !validHostname(req.Identifier.Value) {
			return core.Errorf(core.ErrMalformed, "identifier %q is not a valid DNS name", req.Identifier.Value)
		}
	case acme.IdentifierIP:
		return v.checkIPIdentifier(req)
	default:
		return core.Errorf(core.ErrMalformed, "unsupported identifier type %q", req.Identifier.Type)
	}
	return nil
}

func (v *VA) checkIPIdentifier(req Request) error {
	if req.Challenge == acme.ChallengeDNS01 {
		return core.Errorf(core.ErrMalformed, "IP identifiers cannot be validated with dns-01")
	}
	ip, err := netip.ParseAddr(req.Identifier.Value)
	if err != nil || ip.Zone() != "" {
		return core.Errorf(core.ErrMalformed, "identifier %q is not a valid IP address", req.Identifier.Value)
	}
	if class := v.guard.refused(ip); class != "" {
		return core.Errorf(core.ErrRejectedIdentifier, "%s is a disallowed address (%s)", ip, class)
	}
	return nil
}

func validToken(t string) bool {
	if t == "" {
		return false
	}
	for _, c := range []byte(t) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}

func (v *VA) logResult(ctx context.Context, req Request, start time.Time, err error) {
	attrs := []slog.Attr{
		slog.String("identifier", req.Identifier.Value),
		slog.String("challenge", string(req.Challenge)),
		slog.Duration("took", time.Since(start)),
	}
	if err == nil {
		v.log.LogAttrs(ctx, slog.LevelInfo, "validation succeeded", attrs...)
		return
	}
	var ce *core.Error
	if errors.As(err, &ce) {
		attrs = append(attrs, slog.String("kind", string(ce.Kind)), slog.String("detail", ce.Detail))
	} else {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	v.log.LogAttrs(ctx, slog.LevelInfo, "validation failed", attrs...)
}
