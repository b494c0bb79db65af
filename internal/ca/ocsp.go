package ca

import (
	"context"
	"crypto"
	"fmt"
	"math/big"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/quarry-ca/quarry/internal/core"
)

// OCSPConfig is the CA's part of the OCSP responder: the URL in leaves and
// which key signs responses.
type OCSPConfig struct {
	// Enabled puts the responder URL (<IssuerBaseURL>/ocsp) in every
	// leaf's AIA and lets SignOCSP sign.
	Enabled bool
	// Delegated signs responses with a short-lived responder certificate
	// that each intermediate issues (EKU OCSPSigning, id-pkix-ocsp-nocheck)
	// instead of with the intermediate's own key.
	Delegated bool
	// ResponseValidity is the longest nextUpdate - thisUpdate a response
	// may ask for; default 4 days, at most 10. A delegated responder
	// certificate lasts three times this and is replaced once less than
	// twice is left, so it outlives every response it signs.
	ResponseValidity time.Duration
}

// DefaultOCSPResponseValidity is how long a response is valid unless
// configured otherwise.
const DefaultOCSPResponseValidity = 4 * 24 * time.Hour

// maxOCSPResponseValidity is the BRs' limit (section 4.9.10).
const maxOCSPResponseValidity = 10 * 24 * time.Hour

func (o OCSPConfig) withDefaults() OCSPConfig {
	if o.ResponseValidity == 0 {
		o.ResponseValidity = DefaultOCSPResponseValidity
	}
	return o
}

func (o OCSPConfig) validate() error {
	if o.ResponseValidity < time.Hour || o.ResponseValidity > maxOCSPResponseValidity {
		return core.Errorf(core.ErrServerInternal, "ca: OCSP response validity must be within 1h..10d, got %v", o.ResponseValidity)
	}
	return nil
}

// ocspURL is the responder URL leaves name in their AIA, or none when the
// responder is off.
func (cfg Config) ocspURL() []string {
	if !cfg.OCSP.Enabled {
		return nil
	}
	return []string{trimSlash(cfg.IssuerBaseURL) + "/ocsp"}
}

// OCSPStatus is a certificate's status in an OCSP response.
type OCSPStatus int

// The statuses RFC 6960 §2.2 defines.
const (
	OCSPGood OCSPStatus = iota
	OCSPRevoked
	OCSPUnknown
)

// OCSPRequest is the content of one OCSP response to sign.
type OCSPRequest struct {
	IssuerID   string
	Serial     *big.Int
	Status     OCSPStatus
	RevokedAt  time.Time // OCSPRevoked only
	Reason     int       // OCSPRevoked only; RFC 5280 CRLReason
	ThisUpdate time.Time
	NextUpdate time.Time
	// IssuerHash is the hash of the request's CertID. The response's
	// CertID must use the same one, or a client cannot match the two.
	IssuerHash crypto.Hash
}

// SignOCSP signs one OCSP response for a leaf of IssuerID, with the
// intermediate's key or, when delegated, its current responder
// certificate's, and checks the result verifies before returning its DER.
func (c *CA) SignOCSP(ctx context.Context, req OCSPRequest) ([]byte, error) {
	if !c.cfg.OCSP.Enabled {
		return nil, core.Errorf(core.ErrServerInternal, "OCSP is not enabled")
	}
	iss, ok := c.issuers[req.IssuerID]
	if !ok {
		return nil, core.Errorf(core.ErrNotFound, "no issuer %q", req.IssuerID)
	}
	tmpl, err := ocspTemplate(req, c.cfg.OCSP.ResponseValidity)
	if err != nil {
		return nil, err
	}
	signerCert, key := iss.cert, iss.signer
	if c.cfg.OCSP.Delegated {
		r, err := c.ocspResponder(ctx, iss, tmpl.NextUpdate)
		if err != nil {
			return nil, err
		}
		signerCert, key, tmpl.Certificate = r.cert, r.key, r.cert
	}
	der, err := ocsp.CreateResponse(iss.cert, signerCert, tmpl, key)
	if err != nil {
		return nil, internalError{fmt.Errorf("signing an OCSP response with %s: %w", iss.id, err)}
	}
	// Verifying costs far less than signing and catches a responder
	// certificate that does not chain or a key that does not match.
	if _, err := ocsp.ParseResponseForCert(der, nil, iss.cert); err != nil {
		return nil, internalError{fmt.Errorf("the OCSP response just signed by %s does not verify: %w", iss.id, err)}
	}
	return der, nil
}

// ocspTemplate checks req and turns it into x/crypto's template.
func ocspTemplate(req OCSPRequest, maxValidity time.Duration) (ocsp.Response, error) {
	bad := func(format string, args ...any) (ocsp.Response, error) {
		return ocsp.Response{}, core.Errorf(core.ErrServerInternal, "OCSP response: "+format, args...)
	}
	if req.Serial == nil || req.Serial.Sign() <= 0 {
		return bad("want a positive serial")
	}
	this, next := req.ThisUpdate.UTC().Truncate(time.Second), req.NextUpdate.UTC().Truncate(time.Second)
	if !next.After(this) || next.Sub(this) > maxValidity {
		return bad("nextUpdate must follow thisUpdate by at most %v", maxValidity)
	}
	switch req.IssuerHash {
	case crypto.SHA1, crypto.SHA256, crypto.SHA384, crypto.SHA512:
	default:
		return bad("unsupported CertID hash %v", req.IssuerHash)
	}
	t := ocsp.Response{SerialNumber: req.Serial, ThisUpdate: this, NextUpdate: next, IssuerHash: req.IssuerHash}
	switch req.Status {
	case OCSPGood:
		t.Status = ocsp.Good
	case OCSPUnknown:
		t.Status = ocsp.Unknown
	case OCSPRevoked:
		if !validReason(req.Reason) || req.RevokedAt.IsZero() {
			return bad("revoked needs a revocation time and a valid reason, got %d", req.Reason)
		}
		// Reason 0 (unspecified) is left out of the encoding, as in CRLs.
		t.Status, t.RevokedAt, t.RevocationReason = ocsp.Revoked, req.RevokedAt.UTC().Truncate(time.Second), req.Reason
	default:
		return bad("unknown status %d", req.Status)
	}
	return t, nil
}
