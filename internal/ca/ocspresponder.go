package ca

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/quarry-ca/quarry/internal/core"
)

// oidOCSPNoCheck is id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1): relying
// parties need not check the responder certificate's own revocation, which
// is why it must be short-lived.
var oidOCSPNoCheck = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 5}

// ocspResponders holds each intermediate's current delegated responder.
// Its key lives only in memory: every instance makes its own, and a
// restart replaces it, so it never touches disk.
type ocspResponders struct {
	mu   sync.Mutex
	byID map[string]*ocspResponder
}

type ocspResponder struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// OCSPResponderCertificate returns the delegated responder certificate
// an issuer currently signs with, issuing one if it has none or it is due
// for renewal. It is for operators and tests; SignOCSP calls it itself.
func (c *CA) OCSPResponderCertificate(ctx context.Context, issuerID string) (*x509.Certificate, error) {
	iss, ok := c.issuers[issuerID]
	if !ok || !c.cfg.OCSP.Delegated {
		return nil, fmt.Errorf("no delegated OCSP responder for %q", issuerID)
	}
	r, err := c.ocspResponder(ctx, iss, c.cfg.Clock())
	if err != nil {
		return nil, err
	}
	return r.cert, nil
}

// ocspResponder returns iss's responder, replacing it when less than two
// response validities are left or it would expire before until.
func (c *CA) ocspResponder(ctx context.Context, iss *issuer, until time.Time) (*ocspResponder, error) {
	c.ocspResp.mu.Lock()
	defer c.ocspResp.mu.Unlock()
	now := c.cfg.Clock()
	r := c.ocspResp.byID[iss.id]
	if r != nil && r.cert.NotAfter.Sub(now) >= 2*c.cfg.OCSP.ResponseValidity && r.cert.NotAfter.After(until) &&
		!now.Before(r.cert.NotBefore) {
		return r, nil
	}
	r, err := c.issueOCSPResponder(iss, now)
	if err != nil {
		return nil, err
	}
	if c.ocspResp.byID == nil {
		c.ocspResp.byID = map[string]*ocspResponder{}
	}
	c.ocspResp.byID[iss.id] = r
	c.log.LogAttrs(ctx, levelAudit, "OCSP responder certificate issued", slog.String("issuer", iss.id),
		slog.String("serial", serialHex(r.cert.SerialNumber)), slog.Time("not_after", r.cert.NotAfter))
	return r, nil
}

// issueOCSPResponder makes a key of the issuer's type and a certificate
// for it with the BRs' OCSP responder profile (section 7.1.2.8): EKU
// OCSPSigning only, digitalSignature, nocheck, no CRL or AIA pointers.
func (c *CA) issueOCSPResponder(iss *issuer, now time.Time) (*ocspResponder, error) {
	key, err := generateKey(iss.spec)
	if err != nil {
		return nil, internalError{fmt.Errorf("generating an OCSP responder key for %s: %w", iss.id, err)}
	}
	serial, err := newSerial(c.cfg.Rand)
	if err != nil {
		return nil, internalError{err}
	}
	ski, err := subjectKeyID(key.Public())
	if err != nil {
		return nil, internalError{err}
	}
	notBefore := now.Add(-c.cfg.Backdate).UTC().Truncate(time.Second)
	notAfter := now.Add(3 * c.cfg.OCSP.ResponseValidity).UTC().Truncate(time.Second)
	if notAfter.After(iss.cert.NotAfter) {
		notAfter = iss.cert.NotAfter
	}
	subject := pkix.Name{CommonName: iss.cert.Subject.CommonName + " OCSP Responder",
		Organization: iss.cert.Subject.Organization, Country: iss.cert.Subject.Country}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               subject,
		SignatureAlgorithm:    signatureAlgorithm(iss.spec),
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning},
		BasicConstraintsValid: true,
		SubjectKeyId:          ski,
		AuthorityKeyId:        iss.cert.SubjectKeyId,
		ExtraExtensions:       []pkix.Extension{{Id: oidOCSPNoCheck, Value: asn1.NullBytes}},
	}
	// Lint before signing, as for leaves: a copy signed by the throwaway
	// key first, and the real key only if nothing blocks.
	lintDER, err := x509.CreateCertificate(rand.Reader, tmpl, iss.lintParent, key.Public(), iss.lintSigner)
	if err != nil {
		return nil, internalError{fmt.Errorf("signing the lint copy of the OCSP responder certificate: %w", err)}
	}
	failures, _, err := c.linter.check(lintDER, true, nil)
	if err != nil {
		return nil, internalError{err}
	}
	if len(failures) > 0 {
		return nil, core.Errorf(core.ErrServerInternal, "the OCSP responder certificate of %s failed lints: %s", iss.id, lintNames(failures))
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, iss.cert, key.Public(), iss.signer)
	if err != nil {
		return nil, internalError{fmt.Errorf("signing the OCSP responder certificate of %s: %w", iss.id, err)}
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, internalError{fmt.Errorf("parsing the OCSP responder certificate of %s: %w", iss.id, err)}
	}
	return &ocspResponder{cert: cert, key: key}, nil
}
