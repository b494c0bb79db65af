package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	gojose "github.com/go-jose/go-jose/v4"

	"github.com/quarry-ca/quarry/internal/core"
)

// parseJWK decodes a jwk header and applies the key policy for alg.
func parseJWK(raw json.RawMessage, alg string) (*gojose.JSONWebKey, error) {
	var k gojose.JSONWebKey
	if err := k.UnmarshalJSON(raw); err != nil {
		return nil, core.Errorf(core.ErrMalformed, "the jwk header is not a valid JSON Web Key")
	}
	if err := checkKey(&k, alg); err != nil {
		return nil, err
	}
	return &k, nil
}

// checkKey enforces which keys may sign requests and that alg fits the key.
func checkKey(k *gojose.JSONWebKey, alg string) error {
	if k == nil || !k.IsPublic() {
		return core.Errorf(core.ErrMalformed, "the jwk must be a public key")
	}
	if !k.Valid() {
		return core.Errorf(core.ErrMalformed, "the jwk is not a valid key")
	}
	switch pub := k.Key.(type) {
	case *rsa.PublicKey:
		if bits := pub.N.BitLen(); bits < 2048 || bits > 4096 {
			return core.Errorf(core.ErrBadPublicKey, "RSA keys must be 2048 to 4096 bits, not %d", bits)
		}
		if pub.E != 65537 {
			return core.Errorf(core.ErrBadPublicKey, "RSA keys must use the exponent 65537")
		}
		if alg != string(gojose.RS256) {
			return core.Errorf(core.ErrBadSignatureAlgorithm, "an RSA key must sign with RS256, not %s", alg)
		}
	case *ecdsa.PublicKey:
		var want gojose.SignatureAlgorithm
		switch pub.Curve {
		case elliptic.P256():
			want = gojose.ES256
		case elliptic.P384():
			want = gojose.ES384
		default:
			return core.Errorf(core.ErrBadPublicKey, "ECDSA keys must use P-256 or P-384")
		}
		if alg != string(want) {
			return core.Errorf(core.ErrBadSignatureAlgorithm, "a %s key must sign with %s, not %s", pub.Curve.Params().Name, want, alg)
		}
	default:
		return core.Errorf(core.ErrBadPublicKey, "only RSA and ECDSA keys are supported")
	}
	return nil
}

// Thumbprint is the base64url RFC 7638 SHA-256 thumbprint of a key.
func Thumbprint(k *gojose.JSONWebKey) (string, error) {
	if k == nil {
		return "", errors.New("thumbprint: no key")
	}
	tp, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
}

// sameKey says whether two keys have the same thumbprint.
func sameKey(a, b *gojose.JSONWebKey) bool {
	ta, err1 := Thumbprint(a)
	tb, err2 := Thumbprint(b)
	return err1 == nil && err2 == nil && ta == tb
}

// algFor picks the JWS algorithm a signing key must use.
func algFor(pub crypto.PublicKey) (gojose.SignatureAlgorithm, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return gojose.RS256, nil
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return gojose.ES256, nil
		case elliptic.P384():
			return gojose.ES384, nil
		}
	}
	return "", fmt.Errorf("unsupported signing key %T: use RSA, or ECDSA P-256 or P-384", pub)
}
