package policy

import (
	"bytes"
	"crypto"
	"crypto/x509"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// ParseCSR parses a DER certificate request and checks its self-signature.
// Garbage, trailing data and bad or weak signatures are core.ErrBadCSR.
func ParseCSR(der []byte) (*x509.CertificateRequest, error) {
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, core.Errorf(core.ErrBadCSR, "the CSR could not be parsed: %v", err)
	}
	// crypto/x509 still verifies SHA-1 signatures on CSRs; a CA should not
	// take proof of possession from a broken hash.
	if !goodSignatureAlgorithm(csr.SignatureAlgorithm) {
		return nil, core.Errorf(core.ErrBadCSR,
			"the CSR is signed with %s; sign it with SHA-256 or stronger", csr.SignatureAlgorithm)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, core.Errorf(core.ErrBadCSR, "the CSR's signature is invalid or uses an unsupported algorithm")
	}
	return csr, nil
}

// goodSignatureAlgorithm allows SHA-2 signatures, and Ed25519 so that
// CheckKey can refuse such a key with a clearer reason.
func goodSignatureAlgorithm(a x509.SignatureAlgorithm) bool {
	switch a {
	case x509.SHA256WithRSA, x509.SHA384WithRSA, x509.SHA512WithRSA,
		x509.SHA256WithRSAPSS, x509.SHA384WithRSAPSS, x509.SHA512WithRSAPSS,
		x509.ECDSAWithSHA256, x509.ECDSAWithSHA384, x509.ECDSAWithSHA512,
		x509.PureEd25519:
		return true
	}
	return false
}

// CheckCSR checks a finalize CSR against the order's identifiers and the
// account key: the CSR's names must be exactly the order's, it may request
// only extensions the CA understands, and its key must pass CheckKey and
// differ from the account key.
func (p *Policy) CheckCSR(csr *x509.CertificateRequest, ids []acme.Identifier, accountKey crypto.PublicKey) error {
	if csr == nil {
		return core.Errorf(core.ErrBadCSR, "no CSR was given")
	}
	if err := checkCSRExtensions(csr); err != nil {
		return err
	}
	if err := checkCSRNames(csr, ids); err != nil {
		return err
	}
	if err := p.CheckKey(csr.PublicKey); err != nil {
		e := core.AsError(err)
		return core.Errorf(e.Kind, "the CSR's public key: %s", e.Detail)
	}
	if sameKey(csr.PublicKey, accountKey) {
		return core.Errorf(core.ErrBadCSR, "certificate public key must be different than account key")
	}
	return nil
}

// sameKey compares two public keys by their SubjectPublicKeyInfo encoding.
func sameKey(a, b crypto.PublicKey) bool {
	if a == nil || b == nil {
		return false
	}
	da, errA := x509.MarshalPKIXPublicKey(a)
	db, errB := x509.MarshalPKIXPublicKey(b)
	return errA == nil && errB == nil && bytes.Equal(da, db)
}

// errCSR is a shorthand for the CSR refusals below.
func errCSR(format string, args ...any) *core.Error {
	return core.Errorf(core.ErrBadCSR, format, args...)
}
