package varemote

import (
	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// The remote perspective's two endpoints, both POST with a JSON body.
const (
	PathValidate = "/v1/validate"
	PathCAA      = "/v1/caa"
)

// maxBody caps request and response bodies: a validation request is a few
// hundred bytes, and a result a few records.
const maxBody = 64 << 10

// maxDetail caps an error detail taken from a perspective's answer, so one
// misbehaving perspective cannot bloat a challenge's stored error.
const maxDetail = 1024

// validateRequest is va.Request on the wire.
type validateRequest struct {
	Identifier       acme.Identifier    `json:"identifier"`
	Wildcard         bool               `json:"wildcard,omitempty"`
	Challenge        acme.ChallengeType `json:"challenge"`
	Token            string             `json:"token"`
	KeyAuthorization string             `json:"keyAuthorization"`
}

// caaRequest is va.CAARequest on the wire, with the primary's CAA issuer
// identities, so every perspective judges records by the same ones.
type caaRequest struct {
	Identifier    acme.Identifier    `json:"identifier"`
	Wildcard      bool               `json:"wildcard,omitempty"`
	AccountURI    string             `json:"accountURI,omitempty"`
	Method        acme.ChallengeType `json:"method,omitempty"`
	CAAIdentities []string           `json:"caaIdentities,omitempty"`
}

// result is a perspective's answer: records (validations only) and, when
// the check failed, the error's kind and client-safe detail.
type result struct {
	Perspective string                  `json:"perspective"`
	Records     []acme.ValidationRecord `json:"records,omitempty"`
	Error       *wireError              `json:"error,omitempty"`
}

type wireError struct {
	Kind   core.Kind `json:"kind"`
	Detail string    `json:"detail,omitempty"`
}

// reportable says whether a perspective may report kind k. Anything else
// is taken as the perspective's own failure, never passed to a subscriber.
func reportable(k core.Kind) bool {
	switch k {
	case core.ErrConnection, core.ErrDNS, core.ErrIncorrectResponse, core.ErrUnauthorized,
		core.ErrTLS, core.ErrCAA, core.ErrMalformed, core.ErrRejectedIdentifier:
		return true
	}
	return false
}
