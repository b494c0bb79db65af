package core

import (
	"time"

	"github.com/quarry-ca/quarry/acme"
)

// Account is an ACME account. Key is the account's public JWK in JSON.
type Account struct {
	ID          int64
	Key         []byte // public JWK, JSON
	KeyID       string // RFC 7638 thumbprint of Key; unique
	Contact     []string
	Status      acme.Status
	TermsAgreed bool
	EABKeyID    string
	CreatedAt   time.Time
	InitialIP   string
}

// Order is an ACME order. Its status before finalization is derived from
// its authorizations (see OrderStatus); only processing, valid and
// finalize failures are stored.
type Order struct {
	ID          int64
	AccountID   int64
	Status      acme.Status // stored status: pending, processing, valid or invalid
	Expires     time.Time
	Identifiers []acme.Identifier
	NotBefore   time.Time
	NotAfter    time.Time
	AuthzIDs    []int64
	Error       *Error
	CertSerial  string // hex serial once valid
	Profile     string
	Replaces    string
	CreatedAt   time.Time
}

// Authorization is an ACME authorization with its challenges.
type Authorization struct {
	ID         int64
	AccountID  int64
	Identifier acme.Identifier // wildcard prefix removed; Wildcard says so
	Wildcard   bool
	Status     acme.Status
	Expires    time.Time
	Challenges []*Challenge
}

// Challenge is one way to prove control of an authorization's identifier.
type Challenge struct {
	ID        int64
	AuthzID   int64
	Type      acme.ChallengeType
	Status    acme.Status
	Token     string
	Validated time.Time
	Error     *Error
	Records   []acme.ValidationRecord
}

// Certificate is an issued certificate.
type Certificate struct {
	Serial    string // lower-case hex, unique
	AccountID int64
	OrderID   int64
	IssuerID  string // names the issuing intermediate
	DER       []byte // the leaf
	Names     []string
	NotBefore time.Time
	NotAfter  time.Time
	IssuedAt  time.Time
	// Shard is the CRL shard named in the certificate's CRL distribution
	// point, fixed at issuance.
	Shard int

	Revoked          bool
	RevokedAt        time.Time
	RevocationReason int
}
