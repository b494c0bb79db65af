package ca

import (
	"crypto"
	"crypto/x509"
	"slices"
	"time"

	"github.com/quarry-ca/quarry/internal/core"
)

// leafTemplate shapes a leaf by its profile (lifetime, CN, EKU); every
// profile has the DV policy, AIA caIssuers and a sharded CRL distribution
// point.
func (c *CA) leafTemplate(req *checked, prof Profile, pub crypto.PublicKey, iss *issuer) (*x509.Certificate, error) {
	serial, err := newSerial(c.cfg.Rand)
	if err != nil {
		return nil, err
	}
	ski, err := subjectKeyID(pub)
	if err != nil {
		return nil, core.Errorf(core.ErrBadPublicKey, "%s", err)
	}
	notBefore := c.cfg.Clock().Add(-c.cfg.Backdate).UTC().Truncate(time.Second)
	notAfter := notBefore.Add(prof.Validity - time.Second)
	if notAfter.After(iss.cert.NotAfter) {
		return nil, core.Errorf(core.ErrServerInternal, "issuer %s expires before a new certificate would", iss.id)
	}
	usage := x509.KeyUsageDigitalSignature
	if req.spec.typ == KeyRSA {
		usage |= x509.KeyUsageKeyEncipherment // RSA key exchange in TLS 1.2
	}
	t := &x509.Certificate{
		SerialNumber:          serial,
		SignatureAlgorithm:    signatureAlgorithm(iss.spec),
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		DNSNames:              req.dnsNames,
		IPAddresses:           req.ips,
		KeyUsage:              usage,
		ExtKeyUsage:           slices.Clone(prof.ExtKeyUsage),
		BasicConstraintsValid: true,
		IsCA:                  false,
		SubjectKeyId:          ski,
		AuthorityKeyId:        iss.cert.SubjectKeyId,
		IssuingCertificateURL: []string{c.cfg.issuerURL(iss.id)},
		OCSPServer:            c.cfg.ocspURL(),
		CRLDistributionPoints: []string{c.cfg.crlURL(iss.id, crlShard(serial, c.cfg.CRLShards))},
		Policies:              []x509.OID{oidDomainValidated()},
	}
	t.Subject.CommonName = req.cn
	return t, nil
}
