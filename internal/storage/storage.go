package storage

import (
	"context"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// Store is everything the RA persists. Every method that changes several
// rows does so in one transaction.
type Store interface {
	// NewAccount inserts acct and sets acct.ID. A second account with the
	// same KeyID is core.ErrConflict.
	NewAccount(ctx context.Context, acct *core.Account) error
	GetAccount(ctx context.Context, id int64) (*core.Account, error)
	GetAccountByKeyID(ctx context.Context, keyID string) (*core.Account, error)
	// UpdateAccount writes Contact, Status, Key and KeyID. A KeyID already
	// used by another account is core.ErrConflict.
	UpdateAccount(ctx context.Context, acct *core.Account) error

	// NewOrder inserts order and the authorizations in newAuthzs (with their
	// challenges) in one transaction, setting every ID. order.AuthzIDs must
	// already list reused authorizations; the new ones are appended in
	// newAuthzs order.
	NewOrder(ctx context.Context, order *core.Order, newAuthzs []*core.Authorization) error
	GetOrder(ctx context.Context, id int64) (*core.Order, error)
	// ListOrders returns the IDs of an account's orders that have not
	// expired at now, oldest first, starting after afterID, at most limit.
	ListOrders(ctx context.Context, accountID int64, now time.Time, afterID int64, limit int) ([]int64, error)
	// SetOrderStatus moves an order from status from to status to, storing
	// orderErr (may be nil); core.ErrConflict when it is not in status from.
	SetOrderStatus(ctx context.Context, id int64, from, to acme.Status, orderErr *core.Error) error

	GetAuthorization(ctx context.Context, id int64) (*core.Authorization, error)
	GetAuthorizations(ctx context.Context, ids []int64) ([]*core.Authorization, error)
	// FindValidAuthorization returns a valid authorization of the account for
	// the identifier (and wildcard flag) that expires after now, or
	// core.ErrNotFound.
	FindValidAuthorization(ctx context.Context, accountID int64, id acme.Identifier, wildcard bool, now time.Time) (*core.Authorization, error)
	// FindPendingAuthorization is the same for a pending authorization.
	FindPendingAuthorization(ctx context.Context, accountID int64, id acme.Identifier, wildcard bool, now time.Time) (*core.Authorization, error)
	// StartChallenge marks a pending challenge processing if its
	// authorization is pending; core.ErrConflict otherwise.
	StartChallenge(ctx context.Context, challengeID int64) error
	// FinishChallenge records a validation outcome in one transaction: the
	// challenge's status, error, records and validated time, and the
	// authorization's status (and, on success, new expiry).
	FinishChallenge(ctx context.Context, authz *core.Authorization, chall *core.Challenge) error
	// DeactivateAuthorization moves a pending or valid authorization to
	// deactivated; core.ErrConflict otherwise.
	DeactivateAuthorization(ctx context.Context, id int64) error
	// DeactivateAccountAuthorizations deactivates every pending and valid
	// authorization of an account.
	DeactivateAccountAuthorizations(ctx context.Context, accountID int64) error

	// FinalizeOrder stores cert and moves its order from processing to valid
	// with cert's serial, in one transaction.
	FinalizeOrder(ctx context.Context, orderID int64, cert *core.Certificate) error
	GetCertificate(ctx context.Context, serial string) (*core.Certificate, error)
	// RevokeCertificate marks a certificate revoked; core.ErrAlreadyRevoked
	// when it already is.
	RevokeCertificate(ctx context.Context, serial string, reason int, at time.Time) error
	// RevokedCertificates calls fn for every certificate of the issuer's CRL
	// shard that is revoked and has not expired at now, streaming rows in no
	// particular order; an error from fn stops the walk and is returned.
	RevokedCertificates(ctx context.Context, issuerID string, shard int, now time.Time,
		fn func(serial string, revokedAt time.Time, reason int) error) error
	// NextCRLNumber atomically increments and returns the CRL number of an
	// issuer's shard, starting at 1; numbers never repeat, across restarts
	// and instances sharing the store.
	NextCRLNumber(ctx context.Context, issuerID string, shard int) (int64, error)
	// PutCRL stores crl as its shard's latest unless a CRL with a higher
	// number is already stored (another instance was faster); that is not
	// an error.
	PutCRL(ctx context.Context, crl *core.CRL) error
	// GetCRL returns the latest CRL of a shard, or core.ErrNotFound.
	GetCRL(ctx context.Context, issuerID string, shard int) (*core.CRL, error)

	// ValidAuthorizedNames returns which of names the account holds a valid,
	// unexpired authorization for at now (wildcard names as "*.x").
	ValidAuthorizedNames(ctx context.Context, accountID int64, names []string, now time.Time) (map[string]bool, error)

	// InFlight returns the authorizations with a challenge in processing and
	// the orders in processing: work a stopped server left unfinished.
	InFlight(ctx context.Context) (authzIDs, orderIDs []int64, err error)

	Revocations // revocations.go

	// Ping checks the database answers, for readiness probes.
	Ping(ctx context.Context) error
	Replacements // replace.go
	BlockedKeys  // replace.go

	Close() error
}
