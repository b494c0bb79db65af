package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// Error is a failure the ACME server reported: an HTTP error status with its
// problem document, or an invalid order or authorization (StatusCode 0).
type Error struct {
	StatusCode int
	Problem    acme.Problem
	// RetryAfter is the server's Retry-After, zero when it sent none.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("acme: ")
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, "%d ", e.StatusCode)
	}
	switch {
	case e.Problem.Type != "" && e.Problem.Detail != "":
		fmt.Fprintf(&b, "%s: %s", e.Problem.Type, e.Problem.Detail)
	case e.Problem.Type != "":
		b.WriteString(string(e.Problem.Type))
	default:
		b.WriteString(e.Problem.Detail)
	}
	for _, sub := range e.Problem.Subproblems {
		b.WriteString("; ")
		if sub.Identifier != nil {
			b.WriteString(sub.Identifier.Value + ": ")
		}
		b.WriteString(sub.Error())
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return b.String()
}

// Is lets errors.Is match a problem against the core error kind of the same
// name, so errors.Is(err, core.ErrRateLimited) works inside this module.
func (e *Error) Is(target error) bool {
	k, ok := target.(core.Kind)
	return ok && e.Problem.Type == acme.ProblemType(acme.ErrorNS+string(k))
}

// IsProblem reports whether err is, or wraps, an *Error of problem type t.
func IsProblem(err error, t acme.ProblemType) bool {
	var e *Error
	return errors.As(err, &e) && e.Problem.Type == t
}

// maxDetail bounds how much of a non-problem error body lands in an error.
const maxDetail = 256

// responseError turns an HTTP error response into an *Error. Bodies that are
// not problem documents keep a short prefix of their text as the detail.
func responseError(res *response, retryAfter time.Duration) *Error {
	e := &Error{StatusCode: res.status, RetryAfter: retryAfter}
	if isJSON(res.header.Get("Content-Type")) && json.Unmarshal(res.body, &e.Problem) == nil && e.Problem.Type != "" {
		return e
	}
	e.Problem = acme.Problem{Status: res.status, Detail: http.StatusText(res.status)}
	if text := strings.TrimSpace(string(res.body)); text != "" {
		if len(text) > maxDetail {
			text = text[:maxDetail] + "…"
		}
		e.Problem.Detail += ": " + text
	}
	return e
}

// isJSON accepts application/problem+json and, because some servers send
// it for problems too, plain application/json.
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/problem+json" || mt == "application/json")
}

// stateError reports an object that ended invalid (or otherwise unusable),
// carrying the server's problem when it gave one.
func stateError(what, url string, status acme.Status, prob *acme.Problem) *Error {
	if prob != nil {
		return &Error{Problem: *prob}
	}
	return &Error{Problem: acme.Problem{Detail: fmt.Sprintf("%s %s is %s", what, url, status)}}
}
