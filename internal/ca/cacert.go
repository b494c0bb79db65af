package ca

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"time"
)

// oidDomainValidated is the CA/B Forum domain-validated policy,
// 2.23.140.1.2.1. OIDFromInts fails only for fewer than two arcs or a bad
// first arc, neither possible here; the tests check the policy is present.
func oidDomainValidated() x509.OID {
	oid, _ := x509.OIDFromInts([]uint64{2, 23, 140, 1, 2, 1})
	return oid
}

func (cfg Config) caSubject(cn string) pkix.Name {
	name := pkix.Name{Organization: []string{cfg.Organization}, CommonName: cn}
	if cfg.Country != "" {
		name.Country = []string{cfg.Country}
	}
	return name
}

// caTemplate is the template of a root (parent nil) or an intermediate.
func (b *builder) caTemplate(n node, pub crypto.PublicKey, parent *x509.Certificate) (*x509.Certificate, error) {
	serial, err := newSerial(b.cfg.Rand)
	if err != nil {
		return nil, err
	}
	ski, err := subjectKeyID(pub)
	if err != nil {
		return nil, err
	}
	notBefore := b.cfg.Clock().Add(-b.cfg.Backdate).UTC().Truncate(time.Second)
	t := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               b.cfg.caSubject(n.cn),
		NotBefore:             notBefore,
		NotAfter:              notBefore.Add(n.validity - time.Second),
		BasicConstraintsValid: true,
		IsCA:                  true,
		SubjectKeyId:          ski,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	if parent == nil {
		return t, nil
	}
	if t.NotAfter.After(parent.NotAfter) {
		t.NotAfter = parent.NotAfter
	}
	t.MaxPathLen, t.MaxPathLenZero = 0, true
	t.KeyUsage |= x509.KeyUsageDigitalSignature
	t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	t.IssuingCertificateURL = []string{b.cfg.issuerURL(n.parentID)}
	t.CRLDistributionPoints = []string{b.cfg.crlURL(n.parentID, 0)}
	t.Policies = []x509.OID{oidDomainValidated()}
	t.AuthorityKeyId = parent.SubjectKeyId
	return t, nil
}

// signCA signs a CA template with the parent's key (or the node's own key
// for a root) and returns the parsed result. Signatures always draw from
// crypto/rand, never from Config.Rand.
func signCA(t, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) (*x509.Certificate, error) {
	spec, err := specOf(signer.Public())
	if err != nil {
		return nil, err
	}
	t.SignatureAlgorithm = signatureAlgorithm(spec)
	if parent == nil {
		parent = t
	}
	der, err := x509.CreateCertificate(rand.Reader, t, parent, pub, signer)
	if err != nil {
		return nil, fmt.Errorf("signing %q: %w", t.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parsing new certificate %q: %w", t.Subject.CommonName, err)
	}
	return cert, nil
}
