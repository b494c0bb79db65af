package acme

import "fmt"

// ProblemType is an RFC 7807 problem type URI.
type ProblemType string

// ErrorNS is the namespace of ACME problem types.
const ErrorNS = "urn:ietf:params:acme:error:"

const (
	ProblemAccountDoesNotExist     ProblemType = ErrorNS + "accountDoesNotExist"
	ProblemAlreadyReplaced         ProblemType = ErrorNS + "alreadyReplaced"
	ProblemAlreadyRevoked          ProblemType = ErrorNS + "alreadyRevoked"
	ProblemBadCSR                  ProblemType = ErrorNS + "badCSR"
	ProblemBadNonce                ProblemType = ErrorNS + "badNonce"
	ProblemBadPublicKey            ProblemType = ErrorNS + "badPublicKey"
	ProblemBadRevocationReason     ProblemType = ErrorNS + "badRevocationReason"
	ProblemBadSignatureAlgorithm   ProblemType = ErrorNS + "badSignatureAlgorithm"
	ProblemCAA                     ProblemType = ErrorNS + "caa"
	ProblemCompound                ProblemType = ErrorNS + "compound"
	ProblemConnection              ProblemType = ErrorNS + "connection"
	ProblemDNS                     ProblemType = ErrorNS + "dns"
	ProblemExternalAccountRequired ProblemType = ErrorNS + "externalAccountRequired"
	ProblemIncorrectResponse       ProblemType = ErrorNS + "incorrectResponse"
	ProblemInvalidContact          ProblemType = ErrorNS + "invalidContact"
	ProblemInvalidProfile          ProblemType = ErrorNS + "invalidProfile"
	ProblemMalformed               ProblemType = ErrorNS + "malformed"
	ProblemOrderNotReady           ProblemType = ErrorNS + "orderNotReady"
	ProblemRateLimited             ProblemType = ErrorNS + "rateLimited"
	ProblemRejectedIdentifier      ProblemType = ErrorNS + "rejectedIdentifier"
	ProblemServerInternal          ProblemType = ErrorNS + "serverInternal"
	ProblemTLS                     ProblemType = ErrorNS + "tls"
	ProblemUnauthorized            ProblemType = ErrorNS + "unauthorized"
	ProblemUnsupportedContact      ProblemType = ErrorNS + "unsupportedContact"
	ProblemUnsupportedIdentifier   ProblemType = ErrorNS + "unsupportedIdentifier"
	ProblemUserActionRequired      ProblemType = ErrorNS + "userActionRequired"
)

// Problem is an RFC 7807 problem document as ACME uses it.
type Problem struct {
	Type        ProblemType `json:"type"`
	Detail      string      `json:"detail,omitempty"`
	Status      int         `json:"status,omitempty"`
	Instance    string      `json:"instance,omitempty"`
	Identifier  *Identifier `json:"identifier,omitempty"`
	Subproblems []Problem   `json:"subproblems,omitempty"`
	// Algorithms lists the supported JWS algorithms on badSignatureAlgorithm.
	Algorithms []string `json:"algorithms,omitempty"`
}

func (p *Problem) Error() string {
	if p.Detail == "" {
		return string(p.Type)
	}
	return fmt.Sprintf("%s: %s", p.Type, p.Detail)
}
