package server_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/config"
)

// TestRateLimitedOverHTTP drives the limits through the ACME API: a
// refusal is a 429 rateLimited problem with Retry-After and a detail that
// names the limit and the moment it frees up.
func TestRateLimitedOverHTTP(t *testing.T) {
	e := startEnv(t, func(c *config.Config) {
		c.RateLimits.Limits = map[string]config.RateLimit{
			"NewRegistrationsPerIPAddress": {Count: 3, Period: config.Duration(3 * time.Hour)},
			"NewOrdersPerAccount":          {Count: 2, Period: config.Duration(3 * time.Hour)},
		}
	})
	r := newRaw(t, e) // the first registration from 127.0.0.1
	register := func() rawResp {
		return r.post(r.dir.NewAccount, r.sign(ecKey(), "", r.dir.NewAccount, []byte(`{"termsOfServiceAgreed":true}`)))
	}
	for i := 2; i <= 3; i++ {
		if resp := register(); resp.StatusCode != http.StatusCreated {
			t.Fatalf("registration %d: got %d %s, want 201", i, resp.StatusCode, resp.body)
		}
	}
	checkRateLimited(t, register(), "too many new accounts from the IP address 127.0.0.1 (NewRegistrationsPerIPAddress: 3 per 3h0m0s)", time.Hour)
	// Finding an existing account is no registration.
	existing := r.post(r.dir.NewAccount, r.sign(r.key, "", r.dir.NewAccount, []byte(`{"onlyReturnExisting":true}`)))
	if existing.StatusCode != http.StatusOK {
		t.Fatalf("existing account while limited: got %d %s, want 200", existing.StatusCode, existing.body)
	}

	order := func(name string) rawResp {
		payload := []byte(`{"identifiers":[{"type":"dns","value":"` + name + `"}]}`)
		return r.post(r.dir.NewOrder, r.sign(r.key, r.kid, r.dir.NewOrder, payload))
	}
	for i := 1; i <= 2; i++ {
		if resp := order("o" + strconv.Itoa(i) + ".quarry.test"); resp.StatusCode != http.StatusCreated {
			t.Fatalf("order %d: got %d %s, want 201", i, resp.StatusCode, resp.body)
		}
	}
	checkRateLimited(t, order("o3.quarry.test"), "too many new orders for this account (NewOrdersPerAccount: 2 per 3h0m0s)", 90*time.Minute)
}

// checkRateLimited checks a refusal; the wait is at most maxWait (plus the
// second that rounding up to a whole second may add) and the detail's
// retry time agrees with Retry-After.
func checkRateLimited(t *testing.T, resp rawResp, wantPrefix string, maxWait time.Duration) {
	t.Helper()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("got %d %s, want 429", resp.StatusCode, resp.body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("content type: got %q, want application/problem+json", ct)
	}
	var p acme.Problem
	if err := json.Unmarshal(resp.body, &p); err != nil {
		t.Fatalf("problem: %v in %s", err, resp.body)
	}
	if p.Type != acme.ProblemRateLimited || p.Status != http.StatusTooManyRequests {
		t.Errorf("problem: got type %q status %d, want %q 429", p.Type, p.Status, acme.ProblemRateLimited)
	}
	secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || secs <= 0 || time.Duration(secs)*time.Second > maxWait+time.Second {
		t.Fatalf("Retry-After: got %q, want whole seconds in (0, %v]", resp.Header.Get("Retry-After"), maxWait)
	}
	rest, ok := strings.CutPrefix(p.Detail, wantPrefix+"; retry after ")
	if !ok {
		t.Fatalf("detail: got %q, want it to start %q", p.Detail, wantPrefix+"; retry after ")
	}
	at, err := time.Parse(time.RFC3339, rest)
	if err != nil {
		t.Fatalf("detail's retry time %q: %v", rest, err)
	}
	if d := time.Until(at) - time.Duration(secs)*time.Second; d > 5*time.Second || d < -5*time.Second {
		t.Errorf("detail says %v, Retry-After %ds: they disagree by %v", at, secs, d)
	}
}
