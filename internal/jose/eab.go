package jose

import (
	"bytes"
	"encoding/json"

	gojose "github.com/go-jose/go-jose/v4"

	"github.com/quarry-ca/quarry/internal/core"
)

var eabAlgs = []gojose.SignatureAlgorithm{gojose.HS256, gojose.HS384, gojose.HS512}

// VerifyEAB checks an external account binding (RFC 8555 §7.3.4) and
// returns its key ID.
func VerifyEAB(eab json.RawMessage, accountJWK *gojose.JSONWebKey, url string, lookup func(kid string) ([]byte, bool)) (string, error) {
	trimmed := bytes.TrimSpace(eab)
	var members map[string]json.RawMessage
	if json.Unmarshal(trimmed, &members) != nil || members["signatures"] != nil || members["header"] != nil {
		return "", core.Errorf(core.ErrMalformed, "externalAccountBinding must be a flattened JWS")
	}
	jws, err := gojose.ParseSignedJSON(string(trimmed), eabAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return "", core.Errorf(core.ErrMalformed, "externalAccountBinding must be a JWS signed with HS256, HS384 or HS512")
	}
	h := jws.Signatures[0].Protected
	if h.Nonce != "" {
		return "", core.Errorf(core.ErrMalformed, "externalAccountBinding must not have a nonce")
	}
	if u, _ := h.ExtraHeaders["url"].(string); u != url {
		return "", core.Errorf(core.ErrMalformed, "externalAccountBinding url must equal the newAccount URL")
	}
	key, ok := lookup(h.KeyID)
	if h.KeyID == "" || !ok {
		return "", core.Errorf(core.ErrUnauthorized, "externalAccountBinding names an unknown key ID")
	}
	// go-jose compares the MAC in constant time.
	payload, err := jws.Verify(key)
	if err != nil {
		return "", core.Errorf(core.ErrUnauthorized, "externalAccountBinding MAC is invalid")
	}
	var bound gojose.JSONWebKey
	if err := bound.UnmarshalJSON(payload); err != nil {
		return "", core.Errorf(core.ErrMalformed, "externalAccountBinding payload must be the account's JWK")
	}
	want, err1 := Thumbprint(accountJWK)
	got, err2 := Thumbprint(&bound)
	if err1 != nil || err2 != nil || want != got {
		return "", core.Errorf(core.ErrUnauthorized, "externalAccountBinding binds a different key")
	}
	return h.KeyID, nil
}
