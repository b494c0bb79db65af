package policy

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"

	"github.com/quarry-ca/quarry/internal/core"
)

// CheckKey enforces the key policy for account and certificate keys: RSA
// of 2048, 3072 or 4096 bits with exponent 65537 and no known weakness, or
// ECDSA on P-256 or P-384. Refusals are core.ErrBadPublicKey.
func (p *Policy) CheckKey(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return p.checkRSA(k)
	case *ecdsa.PublicKey:
		return checkECDSA(k)
	case ed25519.PublicKey:
		// The Baseline Requirements allow only RSA and ECDSA P-256/384/521.
		return core.Errorf(core.ErrBadPublicKey, "Ed25519 keys are not accepted; use ECDSA P-256 or P-384, or RSA")
	case nil:
		return core.Errorf(core.ErrBadPublicKey, "no public key was given")
	default:
		return core.Errorf(core.ErrBadPublicKey, "key type %T is not accepted; use ECDSA P-256 or P-384, or RSA", pub)
	}
}

func (p *Policy) checkRSA(k *rsa.PublicKey) error {
	if k == nil || k.N == nil {
		return core.Errorf(core.ErrBadPublicKey, "the RSA key has no modulus")
	}
	switch bits := k.N.BitLen(); bits {
	case 2048, 3072, 4096:
	default:
		return core.Errorf(core.ErrBadPublicKey, "RSA keys must be 2048, 3072 or 4096 bits; this one is %d bits", bits)
	}
	if k.E != 65537 {
		return core.Errorf(core.ErrBadPublicKey, "RSA public exponent must be 65537; this one is %d", k.E)
	}
	if why := p.weak.check(k.N); why != "" {
		return core.Errorf(core.ErrBadPublicKey, "RSA key is weak: %s", why)
	}
	return nil
}

func checkECDSA(k *ecdsa.PublicKey) error {
	if k == nil || k.Curve == nil {
		return core.Errorf(core.ErrBadPublicKey, "the ECDSA key has no curve")
	}
	// Compare with the standard curve values, not names: a Curve is an
	// interface and anything can call itself "P-256".
	switch k.Curve {
	case elliptic.P256(), elliptic.P384():
	default:
		return core.Errorf(core.ErrBadPublicKey, "ECDSA curve %s is not accepted; use P-256 or P-384", curveName(k.Curve))
	}
	// Bytes refuses coordinates off the curve; parsing the encoding back
	// refuses the point at infinity.
	raw, err := k.Bytes()
	if err == nil {
		_, err = ecdsa.ParseUncompressedPublicKey(k.Curve, raw)
	}
	if err != nil {
		return core.Errorf(core.ErrBadPublicKey, "the ECDSA public point is not a valid point on %s", curveName(k.Curve))
	}
	return nil
}

func curveName(c elliptic.Curve) string {
	if p := c.Params(); p != nil && p.Name != "" {
		return p.Name
	}
	return "(unnamed)"
}
