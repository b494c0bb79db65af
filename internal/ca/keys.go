package ca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"
)

// generateKey makes a new private key of the given spec. Key generation
// always draws from crypto/rand: Config.Rand is for serials, and a key must
// never come from a reader a test or a caller could make predictable.
func generateKey(spec keySpec) (crypto.Signer, error) {
	switch spec.typ {
	case KeyECDSA:
		curve, err := curveFor(spec.bits)
		if err != nil {
			return nil, err
		}
		return ecdsa.GenerateKey(curve, rand.Reader)
	case KeyRSA:
		return rsa.GenerateKey(rand.Reader, spec.bits)
	}
	return nil, fmt.Errorf("unknown key type %q", spec.typ)
}

func curveFor(bits int) (elliptic.Curve, error) {
	switch bits {
	case 256:
		return elliptic.P256(), nil
	case 384:
		return elliptic.P384(), nil
	}
	return nil, fmt.Errorf("unsupported ECDSA curve size %d", bits)
}

// specOf describes a public key, or reports that Quarry cannot sign with or
// for it.
func specOf(pub crypto.PublicKey) (keySpec, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return keySpec{KeyECDSA, k.Curve.Params().BitSize}, nil
	case *rsa.PublicKey:
		return keySpec{KeyRSA, k.N.BitLen()}, nil
	}
	return keySpec{}, fmt.Errorf("unsupported public key type %T", pub)
}

// encodeKey returns key as a PKCS#8 "PRIVATE KEY" PEM block.
func encodeKey(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encoding private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// decodeKey parses a PKCS#8 PEM key and checks it is of the expected spec,
// so a key file swapped for another kind is caught at load.
func decodeKey(data []byte, want keySpec) (crypto.Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("not a PKCS#8 PEM private key")
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parsing private key: %w", err)
	}
	signer, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("private key of type %T cannot sign", parsed)
	}
	got, err := specOf(signer.Public())
	if err != nil {
		return nil, err
	}
	if got != want {
		return nil, fmt.Errorf("key is %s-%d, want %s-%d", got.typ, got.bits, want.typ, want.bits)
	}
	return signer, nil
}

// subjectKeyID is the leftmost 160 bits of the SHA-256 of the
// subjectPublicKey bits (RFC 7093 section 2, method 1).
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	spki, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encoding public key: %w", err)
	}
	bits, err := spkiBits(spki)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(bits)
	return sum[:20], nil
}

// signatureAlgorithm picks the signature a signer of this spec makes:
// SHA-384 for the P-384 root, SHA-256 otherwise.
func signatureAlgorithm(spec keySpec) x509.SignatureAlgorithm {
	switch {
	case spec.typ == KeyECDSA && spec.bits == 384:
		return x509.ECDSAWithSHA384
	case spec.typ == KeyECDSA:
		return x509.ECDSAWithSHA256
	}
	return x509.SHA256WithRSA
}
