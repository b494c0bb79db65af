package wfe

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// problemMapping says how a kind reaches the client: its ACME type and the
// HTTP status. Kinds that are not ACME types travel as malformed.
var problemMapping = map[core.Kind]struct {
	typ    acme.ProblemType
	status int
}{
	core.ErrMalformed:               {acme.ProblemMalformed, http.StatusBadRequest},
	core.ErrUnauthorized:            {acme.ProblemUnauthorized, http.StatusForbidden},
	core.ErrNotFound:                {acme.ProblemMalformed, http.StatusNotFound},
	core.ErrConflict:                {acme.ProblemMalformed, http.StatusConflict},
	core.ErrUnsupportedMediaType:    {acme.ProblemMalformed, http.StatusUnsupportedMediaType},
	core.ErrMethodNotAllowed:        {acme.ProblemMalformed, http.StatusMethodNotAllowed},
	core.ErrAccountDoesNotExist:     {acme.ProblemAccountDoesNotExist, http.StatusBadRequest},
	core.ErrAlreadyReplaced:         {acme.ProblemAlreadyReplaced, http.StatusConflict},
	core.ErrAlreadyRevoked:          {acme.ProblemAlreadyRevoked, http.StatusBadRequest},
	core.ErrBadCSR:                  {acme.ProblemBadCSR, http.StatusBadRequest},
	core.ErrBadNonce:                {acme.ProblemBadNonce, http.StatusBadRequest},
	core.ErrBadPublicKey:            {acme.ProblemBadPublicKey, http.StatusBadRequest},
	core.ErrBadRevocationReason:     {acme.ProblemBadRevocationReason, http.StatusBadRequest},
	core.ErrBadSignatureAlgorithm:   {acme.ProblemBadSignatureAlgorithm, http.StatusBadRequest},
	core.ErrCAA:                     {acme.ProblemCAA, http.StatusForbidden},
	core.ErrConnection:              {acme.ProblemConnection, http.StatusBadRequest},
	core.ErrDNS:                     {acme.ProblemDNS, http.StatusBadRequest},
	core.ErrExternalAccountRequired: {acme.ProblemExternalAccountRequired, http.StatusUnauthorized},
	core.ErrIncorrectResponse:       {acme.ProblemIncorrectResponse, http.StatusBadRequest},
	core.ErrInvalidContact:          {acme.ProblemInvalidContact, http.StatusBadRequest},
	core.ErrInvalidProfile:          {acme.ProblemInvalidProfile, http.StatusBadRequest},
	core.ErrOrderNotReady:           {acme.ProblemOrderNotReady, http.StatusForbidden},
	core.ErrRateLimited:             {acme.ProblemRateLimited, http.StatusTooManyRequests},
	core.ErrRejectedIdentifier:      {acme.ProblemRejectedIdentifier, http.StatusBadRequest},
	core.ErrTLS:                     {acme.ProblemTLS, http.StatusBadRequest},
	core.ErrUnsupportedContact:      {acme.ProblemUnsupportedContact, http.StatusBadRequest},
	core.ErrUnsupportedIdentifier:   {acme.ProblemUnsupportedIdentifier, http.StatusBadRequest},
	core.ErrServerInternal:          {acme.ProblemServerInternal, http.StatusInternalServerError},
}

// supportedAlgs is reported with badSignatureAlgorithm (RFC 8555 §6.2).
var supportedAlgs = []string{"ES256", "ES384", "RS256"}

// problemFor turns a classified error into a problem document. Unclassified
// errors become a bare serverInternal: internal text never leaves.
func problemFor(e *core.Error) *acme.Problem {
	m, ok := problemMapping[e.Kind]
	if !ok {
		m = problemMapping[core.ErrServerInternal]
	}
	p := &acme.Problem{Type: m.typ, Detail: e.Detail, Status: m.status, Identifier: e.Identifier}
	if e.Kind == core.ErrServerInternal && p.Detail == "" {
		p.Detail = "the server had an internal error; try again later"
	}
	if e.Kind == core.ErrBadSignatureAlgorithm {
		p.Algorithms = supportedAlgs
	}
	for _, sub := range e.Sub {
		sp := problemFor(sub)
		sp.Status = 0
		p.Subproblems = append(p.Subproblems, *sp)
	}
	if len(e.Sub) > 0 && p.Detail == "" {
		p.Detail = "several identifiers failed; see subproblems"
	}
	return p
}

// writeProblem writes err as an application/problem+json response.
func writeProblem(w http.ResponseWriter, r *http.Request, err error) {
	e := core.AsError(err)
	p := problemFor(e)
	if info := logInfo(r.Context()); info != nil {
		info.problem = string(p.Type)
		if e.Kind == core.ErrServerInternal {
			info.internal = err.Error()
		}
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
