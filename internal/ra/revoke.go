package ra

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// Revocation reasons subscribers may give (RFC 5280 §5.3.1).
var allowedReasons = map[int]string{
	0: "unspecified", 1: "keyCompromise", 3: "affiliationChanged", 4: "superseded", 5: "cessationOfOperation",
}

// reasonCessationOfOperation is what a revocation by an account that only
// holds the certificate's names records, whatever reason it gave.
const reasonCessationOfOperation = 5

// RevokeRequest is a verified revokeCert request: by an account (Account
// set) or by the certificate's own key (KeyID set to its thumbprint).
type RevokeRequest struct {
	CertDER []byte
	Reason  int
	Account *core.Account
	KeyID   string
}

// Revoke revokes a certificate if the requester may.
func (r *RA) Revoke(ctx context.Context, req RevokeRequest) error {
	name, ok := allowedReasons[req.Reason]
	if !ok {
		return core.Errorf(core.ErrBadRevocationReason, "reason %d is not allowed; use 0, 1, 3, 4 or 5", req.Reason)
	}
	parsed, err := x509.ParseCertificate(req.CertDER)
	if err != nil {
		return core.Errorf(core.ErrMalformed, "the certificate could not be parsed")
	}
	serial := fmt.Sprintf("%x", parsed.SerialNumber)
	cert, err := r.store.GetCertificate(ctx, serial)
	if errors.Is(err, core.ErrNotFound) || (err == nil && !bytes.Equal(cert.DER, req.CertDER)) {
		return core.Errorf(core.ErrNotFound, "this server did not issue that certificate")
	} else if err != nil {
		return fmt.Errorf("getting certificate: %w", err)
	}
	if err := r.mayRevoke(ctx, req, cert, parsed); err != nil {
		return err
	}
	by := "certificate key"
	if req.Account != nil {
		by = fmt.Sprintf("account %d", req.Account.ID)
	}
	reason := req.Reason
	if req.Account != nil && req.Account.ID != cert.AccountID {
		// Holding the names proves no compromise of someone else's key,
		// so it must not block that key; the names changed hands, which
		// is what cessationOfOperation says (as Boulder does).
		reason, name = reasonCessationOfOperation, allowedReasons[reasonCessationOfOperation]
	}
	return r.revokeCert(ctx, cert, parsed, reason, name, by)
}

// revokeCert is the one revocation path, for ACME requests and quarry
// admin alike: it blocks a compromised key, stores the revocation, tells
// the CRL generator, and logs the audit event. The caller has checked the
// requester may revoke; parsed is cert's DER parsed.
func (r *RA) revokeCert(ctx context.Context, cert *core.Certificate, parsed *x509.Certificate, reason int, reasonName, by string) error {
	serial := cert.Serial
	// Block first: a compromised key stays blocked even if the revocation
	// itself fails or was done before with another reason.
	if reason == reasonKeyCompromise {
		if err := r.blockKey(ctx, parsed.PublicKey, serial); err != nil {
			return err
		}
	}
	if err := r.store.RevokeCertificate(ctx, serial, reason, r.now()); err != nil {
		if errors.Is(err, core.ErrAlreadyRevoked) {
			return core.Errorf(core.ErrAlreadyRevoked, "certificate %s is already revoked", serial)
		}
		return fmt.Errorf("revoking: %w", err)
	}
	if r.crl != nil {
		r.crl.Revoked(cert.IssuerID, cert.Shard)
	}
	r.log.LogAttrs(ctx, slogAudit, "certificate revoked", slog.String("serial", serial),
		slog.String("reason", reasonName), slog.String("by", by))
	return nil
}

// mayRevoke allows the issuing account, an account that holds valid
// authorizations for every name, or a request signed by the certificate key.
func (r *RA) mayRevoke(ctx context.Context, req RevokeRequest, cert *core.Certificate, parsed *x509.Certificate) error {
	if req.Account == nil {
		tp, err := acme.Thumbprint(parsed.PublicKey)
		if err != nil || tp != req.KeyID {
			return core.Errorf(core.ErrUnauthorized, "the request must be signed by the certificate's key or an authorized account")
		}
		return nil
	}
	if req.Account.ID == cert.AccountID {
		return nil
	}
	names := append([]string{}, parsed.DNSNames...)
	for _, ip := range parsed.IPAddresses {
		names = append(names, ip.String())
	}
	held, err := r.store.ValidAuthorizedNames(ctx, req.Account.ID, names, r.now())
	if err != nil {
		return fmt.Errorf("checking authorizations: %w", err)
	}
	for _, n := range names {
		if !held[n] {
			return core.Errorf(core.ErrUnauthorized, "this account did not issue the certificate and does not hold valid authorizations for %s", n)
		}
	}
	return nil
}
