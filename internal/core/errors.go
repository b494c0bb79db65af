package core

import (
	"errors"
	"fmt"
	"time"

	"github.com/quarry-ca/quarry/acme"
)

// Kind classifies an error. A Kind is itself an error, so callers test with
// errors.Is(err, core.ErrMalformed). Kind names are the ACME problem type
// suffixes; wfe turns a Kind into a problem document and nothing else does.
type Kind string

func (k Kind) Error() string { return string(k) }

const (
	ErrMalformed               Kind = "malformed"
	ErrUnauthorized            Kind = "unauthorized"
	ErrNotFound                Kind = "notFound" // 404, malformed type
	ErrConflict                Kind = "conflict" // 409 for concurrent state changes
	ErrAccountDoesNotExist     Kind = "accountDoesNotExist"
	ErrAlreadyReplaced         Kind = "alreadyReplaced"
	ErrAlreadyRevoked          Kind = "alreadyRevoked"
	ErrBadCSR                  Kind = "badCSR"
	ErrBadNonce                Kind = "badNonce"
	ErrBadPublicKey            Kind = "badPublicKey"
	ErrBadRevocationReason     Kind = "badRevocationReason"
	ErrBadSignatureAlgorithm   Kind = "badSignatureAlgorithm"
	ErrCAA                     Kind = "caa"
	ErrConnection              Kind = "connection"
	ErrDNS                     Kind = "dns"
	ErrExternalAccountRequired Kind = "externalAccountRequired"
	ErrIncorrectResponse       Kind = "incorrectResponse"
	ErrInvalidContact          Kind = "invalidContact"
	ErrInvalidProfile          Kind = "invalidProfile"
	ErrOrderNotReady           Kind = "orderNotReady"
	ErrRateLimited             Kind = "rateLimited"
	ErrRejectedIdentifier      Kind = "rejectedIdentifier"
	ErrTLS                     Kind = "tls"
	ErrUnsupportedContact      Kind = "unsupportedContact"
	ErrUnsupportedIdentifier   Kind = "unsupportedIdentifier"
	ErrUnsupportedMediaType    Kind = "unsupportedMediaType" // 415, malformed type
	ErrMethodNotAllowed        Kind = "methodNotAllowed"     // 405, malformed type
	ErrServerInternal          Kind = "serverInternal"
)

// Error is a classified error with a detail safe to show to a client.
type Error struct {
	Kind       Kind
	Detail     string
	Identifier *acme.Identifier // the identifier this error is about, if any
	Sub        []*Error         // one per failed identifier
	RetryAfter time.Duration    // for rate limits
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return string(e.Kind)
	}
	return string(e.Kind) + ": " + e.Detail
}

// Is lets errors.Is match an *Error against its Kind.
func (e *Error) Is(target error) bool {
	k, ok := target.(Kind)
	return ok && k == e.Kind
}

// Errorf returns an *Error of kind k with a formatted client-safe detail.
func Errorf(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Detail: fmt.Sprintf(format, args...)}
}

// ForIdentifier returns an *Error about one identifier, for subproblems.
func ForIdentifier(k Kind, id acme.Identifier, format string, args ...any) *Error {
	return &Error{Kind: k, Detail: fmt.Sprintf(format, args...), Identifier: &id}
}

// Compound folds per-identifier errors into one error. A single error is
// returned as it is; several become one error of kind top with subproblems.
func Compound(top Kind, detail string, subs []*Error) error {
	switch len(subs) {
	case 0:
		return nil
	case 1:
		return subs[0]
	}
	return &Error{Kind: top, Detail: detail, Sub: subs}
}

// AsError returns err as an *Error. An unclassified error becomes
// serverInternal with no detail, so internal text never reaches a client.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var k Kind
	if errors.As(err, &k) {
		return &Error{Kind: k}
	}
	return &Error{Kind: ErrServerInternal}
}
