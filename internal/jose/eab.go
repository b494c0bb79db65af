package jose

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/json"
	"hash"

	gojose "github.com/go-jose/go-jose/v4"

	"github.com/quarry-ca/quarry/internal/core"
)

// VerifyEAB checks an external account binding (RFC 8555 §7.3.4) sent to
// the newAccount URL url, and returns its key ID. lookup finds the MAC key
// a CA operator configured for a key ID.
func VerifyEAB(eab json.RawMessage, accountJWK *gojose.JSONWebKey, url string, lookup func(kid string) (hmacKey []byte, ok bool)) (string, error) {
	p, err := parseFlattened(eab, eabAlgs)
	if err != nil {
		return "", err
	}
	h := &p.h
	switch {
	case h.nonce != nil:
		return "", core.Errorf(core.ErrMalformed, "externalAccountBinding must not have a nonce")
	case h.jwk != nil:
		return "", core.Errorf(core.ErrMalformed, "externalAccountBinding must not have a jwk header")
	case h.url == nil || *h.url != url:
		return "", core.Errorf(core.ErrMalformed, "externalAccountBinding url must be the newAccount URL")
	case h.kid == nil || *h.kid == "":
		return "", core.Errorf(core.ErrMalformed, "externalAccountBinding must name its key in kid")
	}
	key, ok := lookup(*h.kid)
	if !ok || len(key) == 0 {
		return "", core.Errorf(core.ErrUnauthorized, "externalAccountBinding names an unknown key ID")
	}
	// hmac.Equal takes the same time wherever the MACs differ.
	if !hmac.Equal(mac(h.alg, key, p.input), p.sig) {
		return "", core.Errorf(core.ErrUnauthorized, "externalAccountBinding MAC is invalid")
	}
	var bound gojose.JSONWebKey
	if err := bound.UnmarshalJSON(p.payload); err != nil || !bound.IsPublic() {
		return "", core.Errorf(core.ErrMalformed, "externalAccountBinding payload must be the account's public JWK")
	}
	if !sameKey(&bound, accountJWK) {
		return "", core.Errorf(core.ErrUnauthorized, "externalAccountBinding binds a different key than the account's")
	}
	return *h.kid, nil
}

// mac computes an HS256/384/512 JWS MAC. go-jose refuses keys shorter
// than the hash, but RFC 8555 leaves key length to the CA, so keys of any
// length work here and config decides what is long enough.
func mac(alg string, key []byte, input string) []byte {
	var newHash func() hash.Hash
	switch gojose.SignatureAlgorithm(alg) {
	case gojose.HS384:
		newHash = sha512.New384
	case gojose.HS512:
		newHash = sha512.New
	default:
		newHash = sha256.New
	}
	m := hmac.New(newHash, key)
	m.Write([]byte(input))
	return m.Sum(nil)
}
