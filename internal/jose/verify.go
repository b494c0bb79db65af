package jose

import (
	"context"
	"errors"
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

// AccountGetter finds the account a kid names.
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
	nonces      NonceRedeemer
	accounts    AccountGetter
	accountPath string
}

// NewVerifier returns a verifier. accountURLPrefix is the account URL up to
// the ID; only its path counts, because a kid must name an account at the
// same scheme and host the request was sent to.
func NewVerifier(nonces NonceRedeemer, accounts AccountGetter, accountURLPrefix string) *Verifier {
	p := accountURLPrefix
	if u, err := url.Parse(accountURLPrefix); err == nil && u.Path != "" {
		p = u.Path
	}
	return &Verifier{nonces: nonces, accounts: accounts, accountPath: p}
}

// Request is a verified request. Only Verify makes one.
type Request struct {
	payload []byte
	account *core.Account
	jwk     *gojose.JSONWebKey
	url     string
	kid     string
}

// Payload is the verified payload; empty for POST-as-GET.
func (r *Request) Payload() []byte { return r.payload }

// IsPostAsGet says whether the payload is the empty string.
func (r *Request) IsPostAsGet() bool { return len(r.payload) == 0 }

// Account is the signing account, or nil when the request used a jwk.
func (r *Request) Account() *core.Account { return r.account }

// JWK is the key that verified the signature.
func (r *Request) JWK() *gojose.JSONWebKey { return r.jwk }

// URL is the request URL the JWS was signed for.
func (r *Request) URL() string { return r.url }

// Verify checks one request body sent to requestURL.
func (v *Verifier) Verify(ctx context.Context, body []byte, requestURL string, mode KeyMode) (*Request, error) {
	_, h, err := parseFlattened(body)
	if err != nil {
		return nil, err
	}
	hasJWK, hasKID := len(h.JWK) > 0, h.KID != nil
	switch {
	case hasJWK && hasKID:
		return nil, core.Errorf(core.ErrMalformed, "the JWS header must have jwk or kid, not both")
	case !hasJWK && !hasKID:
		return nil, core.Errorf(core.ErrMalformed, "the JWS header must have jwk or kid")
	case hasJWK && mode == KeyModeKID:
		return nil, core.Errorf(core.ErrMalformed, "this resource needs a kid naming your account, not a jwk")
	case hasKID && mode == KeyModeJWK:
		return nil, core.Errorf(core.ErrMalformed, "this resource needs a jwk, not a kid")
	}
	jws, err := gojose.ParseSignedJSON(string(body), allowedAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, core.Errorf(core.ErrMalformed, "the JWS could not be parsed")
	}
	req := &Request{url: requestURL}
	if hasKID {
		req.kid = *h.KID
		if req.account, err = v.account(ctx, *h.KID, requestURL); err != nil {
			return nil, err
		}
		req.jwk = &gojose.JSONWebKey{}
		if err := req.jwk.UnmarshalJSON(req.account.Key); err != nil {
			return nil, errors.New("stored account key does not parse")
		}
	} else {
		req.jwk = jws.Signatures[0].Protected.JSONWebKey
	}
	if err := checkKey(req.jwk, h.Alg); err != nil {
		return nil, err
	}
	if req.payload, err = jws.Verify(req.jwk); err != nil {
		return nil, core.Errorf(core.ErrMalformed, "JWS verification error: the signature does not match the key")
	}
	// The nonce is spent only on a correctly signed request, so nobody can
	// burn other clients' nonces with junk.
	if h.Nonce == nil || *h.Nonce == "" {
		return nil, core.Errorf(core.ErrBadNonce, "the JWS header has no nonce")
	}
	if err := v.nonces.Redeem(ctx, *h.Nonce); err != nil {
		return nil, err
	}
	if h.URL == nil || *h.URL != requestURL {
		return nil, core.Errorf(core.ErrUnauthorized, "the JWS url header does not match the request URL %s", requestURL)
	}
	return req, nil
}

// account resolves a kid, which must be this server's account URL at the
// request's own scheme and host.
func (v *Verifier) account(ctx context.Context, kid, requestURL string) (*core.Account, error) {
	ku, err := url.Parse(kid)
	ru, rerr := url.Parse(requestURL)
	if err != nil || rerr != nil || ku.Scheme != ru.Scheme || ku.Host != ru.Host || ku.RawQuery != "" || ku.Fragment != "" {
		return nil, core.Errorf(core.ErrMalformed, "the kid must be an account URL of this server")
	}
	idStr, ok := strings.CutPrefix(ku.Path, v.accountPath)
	id, perr := strconv.ParseInt(idStr, 10, 64)
	if !ok || perr != nil || id <= 0 || strconv.FormatInt(id, 10) != idStr {
		return nil, core.Errorf(core.ErrMalformed, "the kid must be an account URL of this server")
	}
	acct, err := v.accounts.GetAccount(ctx, id)
	if errors.Is(err, core.ErrNotFound) {
		return nil, core.Errorf(core.ErrAccountDoesNotExist, "no account exists at %s", truncate(kid, 100))
	} else if err != nil {
		return nil, err
	}
	if acct.Status != acme.StatusValid {
		return nil, core.Errorf(core.ErrUnauthorized, "the account is %s", acct.Status)
	}
	return acct, nil
}
