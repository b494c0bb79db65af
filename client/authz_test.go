package client

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/quarry-ca/quarry/acme"
)

func TestWaitAuthorization(t *testing.T) {
	id := acme.Identifier{Type: acme.IdentifierDNS, Value: "a.example"}
	failed := acme.Challenge{Type: acme.ChallengeHTTP01, Status: acme.StatusInvalid,
		Error: &acme.Problem{Type: acme.ProblemIncorrectResponse, Detail: "wrong key authorization"}}
	tests := []struct {
		name       string
		final      acme.Authorization
		wantErr    acme.ProblemType
		wantDetail string
	}{
		{name: "valid", final: acme.Authorization{Identifier: id, Status: acme.StatusValid}},
		{
			name:    "invalid with a challenge error",
			final:   acme.Authorization{Identifier: id, Status: acme.StatusInvalid, Challenges: []acme.Challenge{{Type: acme.ChallengeDNS01}, failed}},
			wantErr: acme.ProblemIncorrectResponse,
		},
		{
			name:       "deactivated",
			final:      acme.Authorization{Identifier: id, Status: acme.StatusDeactivated},
			wantDetail: "is deactivated",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeACME(t)
			n := 0
			f.handle("POST /authz/1", func(w http.ResponseWriter, r *http.Request) {
				readJWS(t, r)
				n++
				if n == 1 {
					writeJSON(w, http.StatusOK, acme.Authorization{Identifier: id, Status: acme.StatusPending})
					return
				}
				writeJSON(w, http.StatusOK, tt.final)
			})
			a, err := f.client(nil).WaitAuthorization(context.Background(), f.url("/authz/1"))
			if a == nil || a.Status != tt.final.Status {
				t.Fatalf("authorization: got %+v (err %v), want status %s", a, err, tt.final.Status)
			}
			wantErr := tt.wantErr != "" || tt.wantDetail != ""
			if gotErr := err != nil; gotErr != wantErr {
				t.Fatalf("error: got %v, want error %v", err, wantErr)
			}
			if tt.wantErr != "" {
				if !IsProblem(err, tt.wantErr) {
					t.Errorf("error: got %v, want problem %s", err, tt.wantErr)
				}
				if e := err.(*Error); e.Problem.Identifier == nil || e.Problem.Identifier.Value != id.Value {
					t.Errorf("problem identifier: got %+v, want %s", e.Problem.Identifier, id.Value)
				}
			}
			if tt.wantDetail != "" && !strings.Contains(err.Error(), tt.wantDetail) {
				t.Errorf("error: got %q, want it to contain %q", err, tt.wantDetail)
			}
		})
	}
}

func TestAcceptAndDeactivate(t *testing.T) {
	f := newFakeACME(t)
	var payloads []string
	f.handle("POST /chall/1", func(w http.ResponseWriter, r *http.Request) {
		payloads = append(payloads, string(readJWS(t, r).Payload))
		w.Header().Add("Link", `</authz/1>;rel="up"`)
		writeJSON(w, http.StatusOK, acme.Challenge{Type: acme.ChallengeHTTP01, URL: f.url("/chall/1"), Status: acme.StatusProcessing})
	})
	f.handle("POST /authz/1", func(w http.ResponseWriter, r *http.Request) {
		payloads = append(payloads, string(readJWS(t, r).Payload))
		writeJSON(w, http.StatusOK, acme.Authorization{Status: acme.StatusDeactivated})
	})
	c := f.client(nil)
	ctx := context.Background()
	ch, err := c.Accept(ctx, acme.Challenge{Type: acme.ChallengeHTTP01, URL: f.url("/chall/1")})
	if err != nil {
		t.Fatalf("Accept: %v", err)
	}
	if ch.Status != acme.StatusProcessing {
		t.Errorf("challenge status: got %s, want processing", ch.Status)
	}
	if _, err := c.GetChallenge(ctx, f.url("/chall/1")); err != nil {
		t.Fatalf("GetChallenge: %v", err)
	}
	if err := c.DeactivateAuthorization(ctx, f.url("/authz/1")); err != nil {
		t.Fatalf("DeactivateAuthorization: %v", err)
	}
	want := []string{`{}`, ``, `{"status":"deactivated"}`}
	for i := range want {
		if i >= len(payloads) || payloads[i] != want[i] {
			t.Errorf("payloads: got %q, want %q", payloads, want)
			break
		}
	}
}
