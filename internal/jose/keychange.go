package jose

import (
	"encoding/json"

	gojose "github.com/go-jose/go-jose/v4"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// VerifyKeyChange checks the inner JWS of a keyChange request (RFC 8555
// §7.3.5) and returns the new key.
func (v *Verifier) VerifyKeyChange(outer *Request) (*gojose.JSONWebKey, acme.KeyChangeRequest, error) {
	var kc acme.KeyChangeRequest
	_, h, err := parseFlattened(outer.payload)
	if err != nil {
		return nil, kc, err
	}
	if len(h.JWK) == 0 || h.KID != nil {
		return nil, kc, core.Errorf(core.ErrMalformed, "the inner JWS must carry the new key as jwk and no kid")
	}
	if h.Nonce != nil {
		return nil, kc, core.Errorf(core.ErrMalformed, "the inner JWS must not have a nonce")
	}
	if h.URL == nil || *h.URL != outer.url {
		return nil, kc, core.Errorf(core.ErrMalformed, "the inner JWS url must equal the outer url")
	}
	jws, err := gojose.ParseSignedJSON(string(outer.payload), allowedAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return nil, kc, core.Errorf(core.ErrMalformed, "the inner JWS could not be parsed")
	}
	newKey := jws.Signatures[0].Protected.JSONWebKey
	if err := checkKey(newKey, h.Alg); err != nil {
		return nil, kc, err
	}
	payload, err := jws.Verify(newKey)
	if err != nil {
		return nil, kc, core.Errorf(core.ErrMalformed, "the inner JWS signature does not match the new key")
	}
	if err := json.Unmarshal(payload, &kc); err != nil {
		return nil, kc, core.Errorf(core.ErrMalformed, "the inner payload must be {account, oldKey}")
	}
	if outer.account == nil || kc.Account != outer.kid {
		return nil, kc, core.Errorf(core.ErrUnauthorized, "the inner payload's account does not match the signing account")
	}
	var old gojose.JSONWebKey
	if err := old.UnmarshalJSON(kc.OldKey); err != nil {
		return nil, kc, core.Errorf(core.ErrMalformed, "oldKey is not a valid JWK")
	}
	oldTP, err1 := Thumbprint(&old)
	newTP, err2 := Thumbprint(newKey)
	if err1 != nil || err2 != nil || oldTP != outer.account.KeyID {
		return nil, kc, core.Errorf(core.ErrUnauthorized, "oldKey is not the account's current key")
	}
	if newTP == oldTP {
		return nil, kc, core.Errorf(core.ErrMalformed, "the new key is the same as the old key")
	}
	return newKey, kc, nil
}
