package acme

import (
	"encoding/json"
	"time"
)

// Status is the status of an ACME object (RFC 8555 §7.1.6).
type Status string

const (
	StatusPending     Status = "pending"
	StatusReady       Status = "ready"
	StatusProcessing  Status = "processing"
	StatusValid       Status = "valid"
	StatusInvalid     Status = "invalid"
	StatusDeactivated Status = "deactivated"
	StatusExpired     Status = "expired"
	StatusRevoked     Status = "revoked"
)

// IdentifierType names the kind of an identifier.
type IdentifierType string

const (
	IdentifierDNS IdentifierType = "dns"
	IdentifierIP  IdentifierType = "ip" // RFC 8738
)

// Identifier is a name a certificate may cover.
type Identifier struct {
	Type  IdentifierType `json:"type"`
	Value string         `json:"value"`
}

// ChallengeType names a validation method.
type ChallengeType string

const (
	ChallengeHTTP01    ChallengeType = "http-01"
	ChallengeDNS01     ChallengeType = "dns-01"
	ChallengeTLSALPN01 ChallengeType = "tls-alpn-01"
)

// Directory is the ACME directory object (RFC 8555 §7.1.1).
type Directory struct {
	NewNonce    string `json:"newNonce"`
	NewAccount  string `json:"newAccount"`
	NewOrder    string `json:"newOrder"`
	NewAuthz    string `json:"newAuthz,omitempty"`
	RevokeCert  string `json:"revokeCert"`
	KeyChange   string `json:"keyChange"`
	RenewalInfo string `json:"renewalInfo,omitempty"` // RFC 9773
	Meta        *Meta  `json:"meta,omitempty"`
}

// Meta is the directory's metadata object.
type Meta struct {
	TermsOfService          string            `json:"termsOfService,omitempty"`
	Website                 string            `json:"website,omitempty"`
	CAAIdentities           []string          `json:"caaIdentities,omitempty"`
	ExternalAccountRequired bool              `json:"externalAccountRequired,omitempty"`
	Profiles                map[string]string `json:"profiles,omitempty"`
}

// Account is the account resource and the newAccount / update request body.
type Account struct {
	Status                 Status          `json:"status,omitempty"`
	Contact                []string        `json:"contact,omitempty"`
	TermsOfServiceAgreed   bool            `json:"termsOfServiceAgreed,omitempty"`
	OnlyReturnExisting     bool            `json:"onlyReturnExisting,omitempty"`
	ExternalAccountBinding json.RawMessage `json:"externalAccountBinding,omitempty"`
	Orders                 string          `json:"orders,omitempty"`
}

// OrderList is the body of an account's orders URL.
type OrderList struct {
	Orders []string `json:"orders"`
}

// NewOrderRequest is the body of a newOrder request.
type NewOrderRequest struct {
	Identifiers []Identifier `json:"identifiers"`
	NotBefore   string       `json:"notBefore,omitempty"`
	NotAfter    string       `json:"notAfter,omitempty"`
	Profile     string       `json:"profile,omitempty"`
	Replaces    string       `json:"replaces,omitempty"`
}

// Order is the order resource.
type Order struct {
	Status         Status       `json:"status"`
	Expires        *time.Time   `json:"expires,omitempty"`
	Identifiers    []Identifier `json:"identifiers"`
	NotBefore      *time.Time   `json:"notBefore,omitempty"`
	NotAfter       *time.Time   `json:"notAfter,omitempty"`
	Error          *Problem     `json:"error,omitempty"`
	Authorizations []string     `json:"authorizations"`
	Finalize       string       `json:"finalize"`
	Certificate    string       `json:"certificate,omitempty"`
	Profile        string       `json:"profile,omitempty"`
	Replaces       string       `json:"replaces,omitempty"`
}

// FinalizeRequest is the body of a finalize request.
type FinalizeRequest struct {
	CSR string `json:"csr"` // base64url DER
}

// Authorization is the authorization resource.
type Authorization struct {
	Identifier Identifier  `json:"identifier"`
	Status     Status      `json:"status"`
	Expires    *time.Time  `json:"expires,omitempty"`
	Challenges []Challenge `json:"challenges"`
	Wildcard   bool        `json:"wildcard,omitempty"`
}

// Challenge is the challenge resource.
type Challenge struct {
	Type             ChallengeType      `json:"type"`
	URL              string             `json:"url"`
	Status           Status             `json:"status"`
	Token            string             `json:"token,omitempty"`
	Validated        *time.Time         `json:"validated,omitempty"`
	Error            *Problem           `json:"error,omitempty"`
	ValidationRecord []ValidationRecord `json:"validationRecord,omitempty"`
}

// ValidationRecord says what a validation attempt contacted.
type ValidationRecord struct {
	URL               string   `json:"url,omitempty"`
	Hostname          string   `json:"hostname,omitempty"`
	Port              string   `json:"port,omitempty"`
	AddressesResolved []string `json:"addressesResolved,omitempty"`
	AddressUsed       string   `json:"addressUsed,omitempty"`
	ResolverAddrs     []string `json:"resolverAddrs,omitempty"`
}

// StatusUpdate is the body that deactivates an account or authorization.
type StatusUpdate struct {
	Status Status `json:"status"`
}

// RevocationRequest is the body of a revokeCert request.
type RevocationRequest struct {
	Certificate string `json:"certificate"` // base64url DER
	Reason      *int   `json:"reason,omitempty"`
}

// KeyChangeRequest is the payload of the inner JWS of a keyChange request.
type KeyChangeRequest struct {
	Account string          `json:"account"`
	OldKey  json.RawMessage `json:"oldKey"`
}

// RenewalInfo is the ARI response (RFC 9773).
type RenewalInfo struct {
	SuggestedWindow struct {
		Start time.Time `json:"start"`
		End   time.Time `json:"end"`
	} `json:"suggestedWindow"`
	ExplanationURL string `json:"explanationURL,omitempty"`
}
