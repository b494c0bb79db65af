package jose

import (
	gojose "github.com/go-jose/go-jose/v4"

	"github.com/quarry-ca/quarry/internal/core"
)

// Request is a verified request. Its fields are unexported so that only
// Verify can make one and handlers cannot act on unverified input.
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

// JWK is the key that verified the signature: the account's key when the
// request used a kid.
func (r *Request) JWK() *gojose.JSONWebKey { return r.jwk }

// URL is the request URL the JWS was signed for.
func (r *Request) URL() string { return r.url }
