package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"fmt"

	gojose "github.com/go-jose/go-jose/v4"

	"github.com/quarry-ca/quarry/internal/core"
)

// checkKey enforces which keys may sign requests and that alg fits the key.
func checkKey(k *gojose.JSONWebKey, alg string) error {
	if k == nil || !k.Valid() || !k.IsPublic() {
		return core.Errorf(core.ErrMalformed, "the jwk must be a valid public key")
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
			return core.Errorf(core.ErrMalformed, "an RSA key must sign with RS256, not %s", alg)
		}
	case *ecdsa.PublicKey:
		want := map[elliptic.Curve]string{elliptic.P256(): "ES256", elliptic.P384(): "ES384"}[pub.Curve]
		if want == "" {
			return core.Errorf(core.ErrBadPublicKey, "ECDSA keys must use P-256 or P-384")
		}
		if alg != want {
			return core.Errorf(core.ErrMalformed, "a %s key must sign with %s, not %s", pub.Curve.Params().Name, want, alg)
		}
	default:
		return core.Errorf(core.ErrBadPublicKey, "only RSA and ECDSA keys are supported")
	}
	return nil
}

// Thumbprint is the base64url RFC 7638 SHA-256 thumbprint of a key.
func Thumbprint(k *gojose.JSONWebKey) (string, error) {
	tp, err := k.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(tp), nil
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
		case elliptic.P521():
			// Never accepted by Verify; signing it lets tests send one.
			return gojose.ES512, nil
		}
	}
	return "", fmt.Errorf("unsupported signing key %T", pub)
}
