package client

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

func TestResponseError(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		contentType string
		body        string
		wantType    acme.ProblemType
		wantDetail  string // substring of Error()
		wantKind    core.Kind
		wantSubs    int
	}{
		{
			name:        "problem document",
			status:      403,
			contentType: "application/problem+json",
			body:        `{"type":"urn:ietf:params:acme:error:unauthorized","detail":"no","status":403}`,
			wantType:    acme.ProblemUnauthorized,
			wantDetail:  "403 urn:ietf:params:acme:error:unauthorized: no",
			wantKind:    core.ErrUnauthorized,
		},
		{
			name:        "subproblems",
			status:      400,
			contentType: "application/problem+json; charset=utf-8",
			body: `{"type":"urn:ietf:params:acme:error:rejectedIdentifier","detail":"2 names",
				"subproblems":[{"type":"urn:ietf:params:acme:error:rejectedIdentifier","detail":"blocked",
				"identifier":{"type":"dns","value":"bad.example"}},
				{"type":"urn:ietf:params:acme:error:caa","detail":"forbidden",
				"identifier":{"type":"dns","value":"caa.example"}}]}`,
			wantType:   acme.ProblemRejectedIdentifier,
			wantDetail: "caa.example: urn:ietf:params:acme:error:caa: forbidden",
			wantKind:   core.ErrRejectedIdentifier,
			wantSubs:   2,
		},
		{
			name:        "problem sent as plain JSON",
			status:      429,
			contentType: "application/json",
			body:        `{"type":"urn:ietf:params:acme:error:rateLimited","detail":"slow down"}`,
			wantType:    acme.ProblemRateLimited,
			wantDetail:  "slow down",
			wantKind:    core.ErrRateLimited,
		},
		{
			name:        "HTML from a proxy",
			status:      502,
			contentType: "text/html",
			body:        "<html>bad gateway</html>",
			wantDetail:  "502 Bad Gateway: <html>bad gateway</html>",
		},
		{
			name:        "JSON without a type",
			status:      500,
			contentType: "application/problem+json",
			body:        `{"detail":"oops"}`,
			wantDetail:  `500 Internal Server Error: {"detail":"oops"}`,
		},
		{
			name:       "empty body",
			status:     404,
			wantDetail: "404 Not Found",
		},
		{
			name:        "long body is cut",
			status:      500,
			contentType: "text/plain",
			body:        strings.Repeat("x", 1000),
			wantDetail:  strings.Repeat("x", maxDetail) + "…",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := &response{status: tt.status, header: http.Header{}, body: []byte(tt.body)}
			if tt.contentType != "" {
				res.header.Set("Content-Type", tt.contentType)
			}
			e := responseError(res, 0)
			var err error = fmt.Errorf("wrapped: %w", e)
			if e.StatusCode != tt.status {
				t.Errorf("StatusCode: got %d, want %d", e.StatusCode, tt.status)
			}
			if e.Problem.Type != tt.wantType {
				t.Errorf("Type: got %q, want %q", e.Problem.Type, tt.wantType)
			}
			if !strings.Contains(e.Error(), tt.wantDetail) {
				t.Errorf("Error(): got %q, want it to contain %q", e.Error(), tt.wantDetail)
			}
			if len(e.Problem.Subproblems) != tt.wantSubs {
				t.Errorf("subproblems: got %d, want %d", len(e.Problem.Subproblems), tt.wantSubs)
			}
			if tt.wantType != "" && !IsProblem(err, tt.wantType) {
				t.Errorf("IsProblem(%s): got false, want true", tt.wantType)
			}
			if tt.wantKind != "" && !errors.Is(err, tt.wantKind) {
				t.Errorf("errors.Is(%s): got false, want true", tt.wantKind)
			}
			if errors.Is(err, core.ErrBadNonce) {
				t.Errorf("errors.Is(badNonce): got true, want false")
			}
		})
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{
			name: "retry after",
			err:  &Error{StatusCode: 429, Problem: acme.Problem{Type: acme.ProblemRateLimited, Detail: "too many"}, RetryAfter: time.Hour},
			want: "acme: 429 urn:ietf:params:acme:error:rateLimited: too many (retry after 1h0m0s)",
		},
		{
			name: "no status, no type",
			err:  &Error{Problem: acme.Problem{Detail: "order https://x/o/1 is invalid"}},
			want: "acme: order https://x/o/1 is invalid",
		},
		{
			name: "type only",
			err:  &Error{StatusCode: 400, Problem: acme.Problem{Type: acme.ProblemMalformed}},
			want: "acme: 400 urn:ietf:params:acme:error:malformed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error(): got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestIsProblemOtherErrors(t *testing.T) {
	if IsProblem(nil, acme.ProblemMalformed) {
		t.Errorf("IsProblem(nil): got true, want false")
	}
	if IsProblem(errors.New("plain"), acme.ProblemMalformed) {
		t.Errorf("IsProblem(plain error): got true, want false")
	}
}
