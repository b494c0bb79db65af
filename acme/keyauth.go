package acme

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/big"
)

// Thumbprint returns the base64url RFC 7638 SHA-256 thumbprint of a public key.
func Thumbprint(pub crypto.PublicKey) (string, error) {
	var canon string
	switch k := pub.(type) {
	case *rsa.PublicKey:
		canon = fmt.Sprintf(`{"e":"%s","kty":"RSA","n":"%s"}`,
			b64(big.NewInt(int64(k.E)).Bytes()), b64(k.N.Bytes()))
	case *ecdsa.PublicKey:
		p := k.Curve.Params()
		size := (p.BitSize + 7) / 8
		raw, err := k.Bytes()
		if err != nil {
			return "", fmt.Errorf("encoding ecdsa key: %w", err)
		}
		canon = fmt.Sprintf(`{"crv":"%s","kty":"EC","x":"%s","y":"%s"}`,
			p.Name, b64(raw[1:1+size]), b64(raw[1+size:]))
	case ed25519.PublicKey:
		canon = fmt.Sprintf(`{"crv":"Ed25519","kty":"OKP","x":"%s"}`, b64(k))
	default:
		return "", fmt.Errorf("unsupported key type %T", pub)
	}
	sum := sha256.Sum256([]byte(canon))
	return b64(sum[:]), nil
}

// KeyAuthorization returns token || '.' || thumbprint (RFC 8555 §8.1).
func KeyAuthorization(token string, pub crypto.PublicKey) (string, error) {
	tp, err := Thumbprint(pub)
	if err != nil {
		return "", err
	}
	return token + "." + tp, nil
}

// DNS01Value returns the TXT record value for a dns-01 key authorization.
func DNS01Value(keyAuth string) string {
	sum := sha256.Sum256([]byte(keyAuth))
	return b64(sum[:])
}

// TLSALPN01Digest returns the acmeIdentifier extension value's digest
// (RFC 8737 §3): SHA-256 of the key authorization.
func TLSALPN01Digest(keyAuth string) [32]byte {
	return sha256.Sum256([]byte(keyAuth))
}

// HTTP01Path returns the well-known path the http-01 validator fetches.
func HTTP01Path(token string) string {
	return "/.well-known/acme-challenge/" + token
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
