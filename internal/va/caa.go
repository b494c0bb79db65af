package va

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/policy"
)

// CAARequest is one CAA check: may this CA issue for Identifier to the
// account at AccountURI, validated by Method?
type CAARequest struct {
	Identifier acme.Identifier // dns (wildcard prefix already removed) or ip
	Wildcard   bool
	AccountURI string
	Method     acme.ChallengeType
}

// CheckCAA looks for the relevant CAA RRset of the identifier (RFC 8659
// §3: the name, then each parent below the TLD; the first non-empty set
// decides) and evaluates it. A refusal is a *core.Error of kind ErrCAA; a
// lookup that fails is of kind ErrDNS and refuses too, because an
// unanswered query is not permission. IP identifiers have no CAA.
func (v *VA) CheckCAA(ctx context.Context, req CAARequest) (err error) {
	if req.Identifier.Type == acme.IdentifierIP {
		return nil
	}
	if req.Identifier.Type != acme.IdentifierDNS || !validHostname(req.Identifier.Value) {
		return core.Errorf(core.ErrMalformed, "identifier %q is not a DNS name CAA can be checked for", req.Identifier.Value)
	}
	if isLocalhost(req.Identifier.Value) {
		return nil // RFC 6761 §6.3: never asked of DNS, every non-address query is negative
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, v.cfg.Timeout)
	defer cancel()
	defer func() { v.logCAA(ctx, req, start, err) }()

	q := policy.CAAQuery{
		Wildcard: req.Wildcard, Identities: v.cfg.CAAIdentities,
		AccountURI: req.AccountURI, Method: req.Method,
	}
	for _, name := range policy.CAANames(req.Identifier.Value) {
		rrs, err := v.resolver.lookupCAA(ctx, name)
		if err != nil {
			return caaLookupFailed(req.Identifier.Value, err)
		}
		if len(rrs) > 0 {
			return policy.EvaluateCAA(name, rrs, q)
		}
	}
	return nil
}

func isLocalhost(name string) bool {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	return name == "localhost" || strings.HasSuffix(name, ".localhost")
}

// caaLookupFailed says that issuance is refused because CAA could not be
// read, keeping the resolver's client-safe detail.
func caaLookupFailed(name string, err error) error {
	detail := "DNS problem looking up CAA"
	var ce *core.Error
	if errors.As(err, &ce) && ce.Detail != "" {
		detail = ce.Detail
	}
	return core.Errorf(core.ErrDNS, "While checking CAA for %s: %s; issuance is refused until CAA can be read", name, detail)
}

func (v *VA) logCAA(ctx context.Context, req CAARequest, start time.Time, err error) {
	attrs := []slog.Attr{
		slog.String("identifier", req.Identifier.Value),
		slog.Bool("wildcard", req.Wildcard),
		slog.String("method", string(req.Method)),
		slog.Duration("took", time.Since(start)),
	}
	msg := "CAA permits issuance"
	if err != nil {
		msg = "CAA check refused"
		ce := core.AsError(err)
		attrs = append(attrs, slog.String("kind", string(ce.Kind)), slog.String("detail", ce.Detail))
	}
	v.log.LogAttrs(ctx, slog.LevelInfo, msg, attrs...)
}
