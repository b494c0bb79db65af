package ca

import (
	"crypto"
	"crypto/x509"
	"time"

	"github.com/quarry-ca/quarry/internal/core"
)

// leafTemplate is the classic profile: serverAuth only, DV policy, AIA
// caIssuers and a sharded CRL distribution point, CN only when asked for.
func (c *CA) leafTemplate(req *checked, pub crypto.PublicKey, iss *issuer) (*x509.Certificate, error) {
	serial, err := newSerial(c.cfg.Rand)
	if err != nil {
		return nil, err
	}
	ski, err := subjectKeyID(pub)
	if err != nil {
		return nil, core.Errorf(core.ErrBadPublicKey, "%s", err)
	}
	notBefore := c.cfg.Clock().Add(-c.cfg.Backdate).UTC().Truncate(time.Second)
	notAfter := notBefore.Add(c.cfg.LeafValidity - time.Second)
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
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
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
