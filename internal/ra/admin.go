package ra

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strings"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/storage"
)

// AdminReasons are the revocation reasons an operator may give: the
// subscriber's (RFC 5280 §5.3.1, as ACME allows them) and
// privilegeWithdrawn, which the Baseline Requirements (7.2.2) reserve for
// the CA.
var AdminReasons = map[string]int{
	"unspecified": 0, "keyCompromise": 1, "affiliationChanged": 3, "superseded": 4,
	"cessationOfOperation": 5, "privilegeWithdrawn": 9,
}

// ReasonName is the RFC 5280 name of a CRLReason code.
func ReasonName(code int) string {
	names := map[int]string{2: "cACompromise", 6: "certificateHold", 8: "removeFromCRL", 10: "aACompromise"}
	for n, c := range AdminReasons {
		names[c] = n
	}
	if n, ok := names[code]; ok {
		return n
	}
	return fmt.Sprintf("reason %d", code)
}

// Operator is who acts through quarry admin and why; both go into every
// audit event the action logs.
type Operator struct {
	User    string // the operating-system user
	Comment string
}

// AdminDeps are what operator actions need: the store, and no VA, CA or
// policy, since none of the actions issues or validates.
type AdminDeps struct {
	Store storage.Store
	// CRL is told of revocations, as the RA's is. quarry admin runs
	// outside the server and leaves it nil: the servers' CRL generators
	// find its revocations by polling the store.
	CRL   RevocationListener
	Log   *slog.Logger
	Clock func() time.Time
}

// Admin acts on the store for an operator, through the same code paths
// as ACME requests, so revocations and deactivations have the same
// effects (CRLs, audit events) whichever way they come.
type Admin struct {
	store storage.Store
	crl   RevocationListener
	log   *slog.Logger
	now   func() time.Time
}

// NewAdmin returns an Admin; a missing logger or clock gets a default.
func NewAdmin(deps AdminDeps) (*Admin, error) {
	if deps.Store == nil {
		return nil, errors.New("ra: the admin needs a store")
	}
	a := &Admin{store: deps.Store, crl: deps.CRL, log: deps.Log, now: deps.Clock}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	if a.now == nil {
		a.now = time.Now
	}
	return a, nil
}

// as returns an RA whose audit events name op. It has no VA, CA or
// policy: only paths that need none of them may run on it.
func (a *Admin) as(op Operator) (*RA, error) {
	if strings.TrimSpace(op.Comment) == "" {
		return nil, core.Errorf(core.ErrMalformed, "a comment saying why is required for every change")
	}
	log := a.log.With(slog.String("operator", op.User), slog.String("comment", op.Comment))
	return &RA{store: a.store, crl: a.crl, log: log, now: a.now, lim: noLimits{}}, nil
}

// CertStatus is what a relying party would learn of a certificate.
type CertStatus string

const (
	CertValid   CertStatus = "valid"
	CertRevoked CertStatus = "revoked"
	CertExpired CertStatus = "expired"
)

// CertInfo is a stored certificate with its parsed form and status.
type CertInfo struct {
	Cert   *core.Certificate
	Parsed *x509.Certificate
	Status CertStatus
}

// NormalizeSerial turns a serial as operators write it (hex, any case,
// optional 0x prefix or colons, leading zeros) into the stored form.
func NormalizeSerial(s string) (string, error) {
	h := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), ":", ""))
	h = strings.TrimPrefix(h, "0x")
	n, ok := new(big.Int).SetString(h, 16)
	// RFC 5280 §4.1.2.2: positive, at most 20 octets.
	if h == "" || !ok || n.Sign() <= 0 || n.BitLen() > 160 || strings.ContainsAny(h, "+-_") {
		return "", core.Errorf(core.ErrMalformed, "%q is not a certificate serial (hex, at most 40 digits)", truncate(s, 60))
	}
	return fmt.Sprintf("%x", n), nil
}

// Certificate returns the certificate with serial and its status.
func (a *Admin) Certificate(ctx context.Context, serial string) (*CertInfo, error) {
	cert, err := a.store.GetCertificate(ctx, serial)
	if errors.Is(err, core.ErrNotFound) {
		return nil, core.Errorf(core.ErrNotFound, "no certificate with serial %s was issued by this CA", serial)
	} else if err != nil {
		return nil, fmt.Errorf("reading certificate %s: %w", serial, err)
	}
	parsed, err := x509.ParseCertificate(cert.DER)
	if err != nil {
		return nil, fmt.Errorf("certificate %s is stored but does not parse: %w", serial, err)
	}
	info := &CertInfo{Cert: cert, Parsed: parsed, Status: CertValid}
	switch {
	case cert.Revoked:
		info.Status = CertRevoked
	case !a.now().Before(cert.NotAfter):
		info.Status = CertExpired
	}
	return info, nil
}

// Revoke revokes the certificate with serial for reason (one of
// AdminReasons), unless dryRun, and returns it as it is afterwards (or
// would be). Revoking an expired certificate is allowed: it is recorded,
// though it appears on no CRL.
func (a *Admin) Revoke(ctx context.Context, op Operator, serial string, reason int, dryRun bool) (*CertInfo, error) {
	name := ReasonName(reason)
	if AdminReasons[name] != reason {
		return nil, core.Errorf(core.ErrBadRevocationReason, "reason %d may not be given; use one of 0, 1, 3, 4, 5 or 9", reason)
	}
	r, err := a.as(op)
	if err != nil {
		return nil, err
	}
	info, err := a.Certificate(ctx, serial)
	if err != nil {
		return nil, err
	}
	if dryRun {
		if info.Cert.Revoked {
			return info, alreadyRevoked(info.Cert)
		}
		c := *info.Cert
		c.Revoked, c.RevokedAt, c.RevocationReason = true, a.now(), reason
		return &CertInfo{Cert: &c, Parsed: info.Parsed, Status: CertRevoked}, nil
	}
	// An already revoked certificate still goes down the revocation path,
	// which refuses it after any step that must happen regardless.
	err = r.revokeCert(ctx, info.Cert, info.Parsed, reason, name, "admin")
	if errors.Is(err, core.ErrAlreadyRevoked) {
		if now, gerr := a.Certificate(ctx, serial); gerr == nil && now.Cert.Revoked {
			return now, alreadyRevoked(now.Cert)
		}
	}
	if err != nil {
		return nil, err
	}
	return a.Certificate(ctx, serial)
}

// alreadyRevoked says when and why, so the operator can tell whether the
// first revocation did what they meant.
func alreadyRevoked(c *core.Certificate) error {
	return core.Errorf(core.ErrAlreadyRevoked, "certificate %s is already revoked (%s, %s)",
		c.Serial, ReasonName(c.RevocationReason), c.RevokedAt.UTC().Format(time.RFC3339))
}

// Account returns the account with id.
func (a *Admin) Account(ctx context.Context, id int64) (*core.Account, error) {
	acct, err := a.store.GetAccount(ctx, id)
	if errors.Is(err, core.ErrNotFound) {
		return nil, core.Errorf(core.ErrNotFound, "there is no account %d", id)
	} else if err != nil {
		return nil, fmt.Errorf("reading account %d: %w", id, err)
	}
	return acct, nil
}

// DeactivateAccount deactivates a valid account, and its pending and valid
// authorizations, as the account's own deactivation request would, unless
// dryRun; it returns the account as it is afterwards (or would be).
// Certificates already issued stay valid: revoke them separately.
func (a *Admin) DeactivateAccount(ctx context.Context, op Operator, id int64, dryRun bool) (*core.Account, error) {
	r, err := a.as(op)
	if err != nil {
		return nil, err
	}
	acct, err := a.Account(ctx, id)
	if err != nil {
		return nil, err
	}
	if acct.Status != acme.StatusValid {
		return acct, core.Errorf(core.ErrConflict, "account %d is already %s", id, acct.Status)
	}
	if dryRun {
		updated := *acct
		updated.Status = acme.StatusDeactivated
		return &updated, nil
	}
	return r.UpdateAccount(ctx, acct, nil, acme.StatusDeactivated)
}

// OrderInfo is a stored order with its authorizations and derived status.
type OrderInfo struct {
	Order  *core.Order
	Status acme.Status
	Authzs []*core.Authorization
}

// Order returns the order with id, its authorizations, and its status as
// an ACME client would see it now.
func (a *Admin) Order(ctx context.Context, id int64) (*OrderInfo, error) {
	o, err := a.store.GetOrder(ctx, id)
	if errors.Is(err, core.ErrNotFound) {
		return nil, core.Errorf(core.ErrNotFound, "there is no order %d", id)
	} else if err != nil {
		return nil, fmt.Errorf("reading order %d: %w", id, err)
	}
	authzs, err := a.store.GetAuthorizations(ctx, o.AuthzIDs)
	if err != nil {
		return nil, fmt.Errorf("reading the authorizations of order %d: %w", id, err)
	}
	now := a.now()
	for _, az := range authzs {
		az.Status = core.AuthzStatus(az, now)
	}
	return &OrderInfo{Order: o, Status: core.OrderStatus(o, authzs, now), Authzs: authzs}, nil
}
