package jose

import (
	"encoding/json"

	gojose "github.com/go-jose/go-jose/v4"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// VerifyKeyChange checks the inner JWS of a keyChange request (RFC 8555
// §7.3.5), whose outer JWS Verify has checked, and returns the new key.
func (v *Verifier) VerifyKeyChange(outer *Request) (*gojose.JSONWebKey, acme.KeyChangeRequest, error) {
	var kc acme.KeyChangeRequest
	if outer == nil || outer.account == nil {
		return nil, kc, core.Errorf(core.ErrMalformed, "a keyChange request must be signed with the account's kid")
	}
	p, err := parseFlattened(outer.payload, requestAlgs)
	if err != nil {
		return nil, kc, err
	}
	h := &p.h
	if h.jwk == nil || h.kid != nil {
		return nil, kc, core.Errorf(core.ErrMalformed, "the inner JWS must carry the new key as jwk and no kid")
	}
	if h.nonce != nil {
		return nil, kc, core.Errorf(core.ErrMalformed, "the inner JWS must not have a nonce")
	}
	if h.url == nil || *h.url != outer.url {
		return nil, kc, core.Errorf(core.ErrMalformed, "the inner JWS url must equal the outer url")
	}
	newKey, err := parseJWK(h.jwk, h.alg)
	if err != nil {
		return nil, kc, err
	}
	jws, err := gojose.ParseSignedCompact(p.compact, requestAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, kc, core.Errorf(core.ErrMalformed, "the inner JWS could not be parsed")
	}
	payload, err := jws.Verify(newKey)
	if err != nil {
		return nil, kc, core.Errorf(core.ErrMalformed, "JWS verification error: the inner signature does not match the new key")
	}
	if err := json.Unmarshal(payload, &kc); err != nil || kc.Account == "" || len(kc.OldKey) == 0 {
		return nil, kc, core.Errorf(core.ErrMalformed, "the inner payload must be {\"account\", \"oldKey\"}")
	}
	if kc.Account != outer.kid {
		return nil, kc, core.Errorf(core.ErrUnauthorized, "the inner payload's account is not the account that signed the request")
	}
	var old gojose.JSONWebKey
	if err := old.UnmarshalJSON(kc.OldKey); err != nil || !old.IsPublic() {
		return nil, kc, core.Errorf(core.ErrMalformed, "oldKey is not a valid public JWK")
	}
	if !sameKey(&old, outer.jwk) {
		return nil, kc, core.Errorf(core.ErrUnauthorized, "oldKey is not the account's current key")
	}
	if sameKey(newKey, outer.jwk) {
		return nil, kc, core.Errorf(core.ErrMalformed, "the new key is the same as the account's current key")
	}
	return newKey, kc, nil
}
