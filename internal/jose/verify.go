package jose

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	gojose "github.com/go-jose/go-jose/v4"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// NonceRedeemer accepts each nonce once.
type NonceRedeemer interface {
	Redeem(ctx context.Context, nonce string) error
}

// AccountGetter finds the account a kid names. A missing account is an
// error of kind core.ErrNotFound.
type AccountGetter interface {
	GetAccount(ctx context.Context, id int64) (*core.Account, error)
}

// KeyMode says how a request must identify its key.
type KeyMode int

const (
	// KeyModeKID requires a kid naming an existing, valid account.
	KeyModeKID KeyMode = iota
	// KeyModeJWK requires an embedded jwk (newAccount).
	KeyModeJWK
	// KeyModeEither accepts either (revokeCert).
	KeyModeEither
)

// Verifier checks JWS-signed ACME requests.
type Verifier struct {
	nonces   NonceRedeemer
	accounts AccountGetter
	prefix   string
	keys     *keyCache
}

// NewVerifier returns a verifier. A kid must be accountURLPrefix followed
// by the account's decimal ID. A prefix that is only a path ("/acme/acct/")
// is taken relative to the scheme and host the request was sent to.
func NewVerifier(nonces NonceRedeemer, accounts AccountGetter, accountURLPrefix string) *Verifier {
	return &Verifier{nonces: nonces, accounts: accounts, prefix: accountURLPrefix, keys: newKeyCache()}
}

// Verify checks one request body. requestURL is the full URL the request
// was sent to. Every error is a *core.Error with a client-safe detail,
// except failures of the nonce redeemer or account store, which are
// wrapped as they come.
func (v *Verifier) Verify(ctx context.Context, body []byte, requestURL string, mode KeyMode) (*Request, error) {
	p, err := parseFlattened(body, requestAlgs)
	if err != nil {
		return nil, err
	}
	if err := checkKeyMode(&p.h, mode); err != nil {
		return nil, err
	}
	req := &Request{url: requestURL}
	if p.h.kid == nil {
		if req.jwk, err = parseJWK(p.h.jwk, p.h.alg); err != nil {
			return nil, err
		}
	}
	if p.h.url == nil || *p.h.url != requestURL {
		return nil, core.Errorf(core.ErrUnauthorized, "the JWS url header must be the request URL %s", truncate(requestURL, 200))
	}
	jws, err := gojose.ParseSignedCompact(p.compact, requestAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, core.Errorf(core.ErrMalformed, "the JWS could not be parsed")
	}
	// The nonce goes after the cheap structural checks and before any
	// store lookup or use of the payload.
	if p.h.nonce == nil || *p.h.nonce == "" {
		return nil, core.Errorf(core.ErrBadNonce, "the JWS header has no nonce")
	}
	if err := v.nonces.Redeem(ctx, *p.h.nonce); err != nil {
		return nil, fmt.Errorf("redeeming nonce: %w", err)
	}
	if p.h.kid != nil {
		req.kid = *p.h.kid
		if req.account, req.jwk, err = v.account(ctx, req.kid, requestURL, p.h.alg); err != nil {
			return nil, err
		}
	}
	if req.payload, err = jws.Verify(req.jwk); err != nil {
		return nil, core.Errorf(core.ErrMalformed, "JWS verification error: the signature does not match the key")
	}
	if err := checkPayload(req.payload); err != nil {
		return nil, err
	}
	return req, nil
}

// checkKeyMode enforces exactly one of jwk and kid, as the resource wants.
func checkKeyMode(h *header, mode KeyMode) error {
	hasJWK, hasKID := h.jwk != nil, h.kid != nil
	switch {
	case hasJWK && hasKID:
		return core.Errorf(core.ErrMalformed, "the JWS header must have jwk or kid, not both")
	case !hasJWK && !hasKID:
		return core.Errorf(core.ErrMalformed, "the JWS header must have jwk or kid")
	case hasJWK && mode == KeyModeKID:
		return core.Errorf(core.ErrMalformed, "this resource needs a kid naming your account, not a jwk")
	case hasKID && mode == KeyModeJWK:
		return core.Errorf(core.ErrMalformed, "this resource needs a jwk, not a kid")
	}
	return nil
}

// account resolves a kid to a valid account and its key, checked for alg.
func (v *Verifier) account(ctx context.Context, kid, requestURL, alg string) (*core.Account, *gojose.JSONWebKey, error) {
	id, ok := v.accountID(kid, requestURL)
	if !ok {
		return nil, nil, core.Errorf(core.ErrMalformed, "the kid must be an account URL of this server")
	}
	acct, err := v.accounts.GetAccount(ctx, id)
	if errors.Is(err, core.ErrNotFound) {
		return nil, nil, core.Errorf(core.ErrAccountDoesNotExist, "no account exists at %s", truncate(kid, 200))
	} else if err != nil {
		return nil, nil, fmt.Errorf("looking up account %d: %w", id, err)
	}
	if acct.Status != acme.StatusValid {
		return nil, nil, core.Errorf(core.ErrUnauthorized, "the account is %s", acct.Status)
	}
	k, err := v.keys.parse(acct.Key)
	if err != nil {
		return nil, nil, fmt.Errorf("parsing stored key of account %d: %w", id, core.ErrServerInternal)
	}
	if err := checkKey(k, alg); err != nil {
		return nil, nil, err
	}
	return acct, k, nil
}

// accountID parses the account ID out of a kid.
func (v *Verifier) accountID(kid, requestURL string) (int64, bool) {
	prefix := v.prefix
	if strings.HasPrefix(prefix, "/") {
		u, err := url.Parse(requestURL)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return 0, false
		}
		prefix = u.Scheme + "://" + u.Host + prefix
	}
	s, ok := strings.CutPrefix(kid, prefix)
	if !ok || prefix == "" {
		return 0, false
	}
	id, err := strconv.ParseInt(s, 10, 64)
	// Only the canonical spelling, so one account has one kid.
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != s {
		return 0, false
	}
	return id, true
}
