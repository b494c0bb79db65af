package server_test

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/client"
)

// TestRenewalInfo checks the ARI window of a live and of a revoked
// certificate, the Retry-After, and the answers to bad identifiers.
func TestRenewalInfo(t *testing.T) {
	e := startEnv(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := e.own(t, ctx)
	for _, profile := range []string{"classic", "shortlived"} {
		t.Run("window "+profile, func(t *testing.T) {
			_, leaf := e.obtain(t, ctx, c, acme.NewOrderRequest{Identifiers: dnsIDs(profile + ".ari.quarry.test"), Profile: profile}, acme.ChallengeHTTP01, ecKey())
			info, retry, err := c.RenewalInfo(ctx, leaf)
			if err != nil {
				t.Fatal(err)
			}
			life := leaf.NotAfter.Sub(leaf.NotBefore)
			wantEnd := leaf.NotBefore.Add(life * 2 / 3)
			wantStart := wantEnd.Add(-life / 30)
			if d := info.SuggestedWindow.End.Sub(wantEnd); d < -time.Second || d > time.Second {
				t.Errorf("window end: got %v, want %v (a third of the lifetime left)", info.SuggestedWindow.End, wantEnd)
			}
			if d := info.SuggestedWindow.Start.Sub(wantStart); d < -time.Second || d > time.Second {
				t.Errorf("window start: got %v, want %v", info.SuggestedWindow.Start, wantStart)
			}
			if retry != 6*time.Hour {
				t.Errorf("Retry-After: got %v, want 6h", retry)
			}
			if err := c.Revoke(ctx, leaf.Raw, nil, 4); err != nil {
				t.Fatalf("revoke: %v", err)
			}
			info, _, err = c.RenewalInfo(ctx, leaf)
			if err != nil {
				t.Fatal(err)
			}
			if now := time.Now(); !info.SuggestedWindow.End.Before(now) || info.SuggestedWindow.Start.After(info.SuggestedWindow.End) {
				t.Errorf("revoked: got window %v – %v, want one that has passed", info.SuggestedWindow.Start, info.SuggestedWindow.End)
			}
		})
	}
	dir, err := c.Directory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A certificate of ours named under another issuer's key identifier
	// is not ours to answer for.
	_, leaf := e.obtain(t, ctx, c, acme.NewOrderRequest{Identifiers: dnsIDs("foreign.ari.quarry.test")}, acme.ChallengeHTTP01, ecKey())
	foreignAKI := append([]byte{}, leaf.AuthorityKeyId...)
	foreignAKI[0] ^= 0xff
	serial := leaf.SerialNumber.Bytes()
	if serial[0]&0x80 != 0 {
		serial = append([]byte{0}, serial...)
	}
	b64 := base64.RawURLEncoding.EncodeToString
	tests := []struct {
		name       string
		id         string
		wantStatus int
	}{
		{"foreign key identifier", b64(foreignAKI) + "." + b64(serial), http.StatusNotFound},
		{"own key identifier, serial with a leading zero", b64(leaf.AuthorityKeyId) + "." + b64(append([]byte{0}, serial...)), http.StatusBadRequest},
		{"no dot", "AAAA", http.StatusBadRequest},
		{"two dots", "AAAA.AQ.AQ", http.StatusBadRequest},
		{"padding", "AAAA.AQ==", http.StatusBadRequest},
		{"not base64url", "AA+A.AQ", http.StatusBadRequest},
		{"empty key identifier", ".AQ", http.StatusBadRequest},
		{"negative serial", "AAAA.gA", http.StatusBadRequest},
		{"non-minimal serial", "AAAA.AAE", http.StatusBadRequest},
		{"unknown certificate", "AAAAAAAAAAAAAAAAAAAAAAAAAAA.AQIDBA", http.StatusNotFound},
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: e.roots}}, Timeout: 10 * time.Second}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := hc.Get(dir.RenewalInfo + "/" + tt.id)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var p acme.Problem
			if err := json.NewDecoder(res.Body).Decode(&p); err != nil {
				t.Fatalf("decoding problem: %v", err)
			}
			ct := res.Header.Get("Content-Type")
			if res.StatusCode != tt.wantStatus || p.Type != acme.ProblemMalformed || !strings.HasPrefix(ct, "application/problem+json") {
				t.Errorf("got %d %s (%s), want %d malformed problem", res.StatusCode, p.Type, ct, tt.wantStatus)
			}
		})
	}
}

// TestReplaces checks the newOrder replaces rules of RFC 9773 §5.
func TestReplaces(t *testing.T) {
	e := startEnv(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := e.own(t, ctx)
	names := dnsIDs("old.replace.quarry.test")
	_, old := e.obtain(t, ctx, c, acme.NewOrderRequest{Identifiers: names}, acme.ChallengeHTTP01, ecKey())
	oldID, err := client.ARICertID(old)
	if err != nil {
		t.Fatal(err)
	}
	stranger := e.own(t, ctx)
	refusals := []struct {
		name       string
		c          *client.Client
		req        acme.NewOrderRequest
		wantType   acme.ProblemType
		wantStatus int
	}{
		{"malformed identifier", c, acme.NewOrderRequest{Identifiers: names, Replaces: "not-a-cert-id"}, acme.ProblemMalformed, http.StatusBadRequest},
		{"unknown certificate", c, acme.NewOrderRequest{Identifiers: names, Replaces: "AAAAAAAAAAAAAAAAAAAAAAAAAAA.AQIDBA"}, acme.ProblemMalformed, http.StatusBadRequest},
		{"another account's certificate", stranger, acme.NewOrderRequest{Identifiers: names, Replaces: oldID}, acme.ProblemMalformed, http.StatusBadRequest},
		{"no shared identifier", c, acme.NewOrderRequest{Identifiers: dnsIDs("other.replace.quarry.test"), Replaces: oldID}, acme.ProblemMalformed, http.StatusBadRequest},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.c.NewOrder(ctx, tt.req)
			wantProblem(t, err, tt.wantType, tt.wantStatus)
		})
	}
	// Sharing one identifier is enough; the order shows what it replaces.
	req := acme.NewOrderRequest{Identifiers: append(dnsIDs("new.replace.quarry.test"), names...), Replaces: oldID}
	order, _ := e.obtain(t, ctx, c, req, acme.ChallengeHTTP01, ecKey())
	if order.Replaces != oldID {
		t.Errorf("order replaces: got %q, want %q", order.Replaces, oldID)
	}
	_, err = c.NewOrder(ctx, acme.NewOrderRequest{Identifiers: names, Replaces: oldID})
	wantProblem(t, err, acme.ProblemAlreadyReplaced, http.StatusConflict)
}

// TestReplacesRace finalizes 8 orders that replace one certificate at
// once: one certificate is issued, the other 7 get alreadyReplaced, and
// their orders stay ready rather than stuck in processing.
func TestReplacesRace(t *testing.T) {
	e := startEnv(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := e.own(t, ctx)
	names := dnsIDs("race.replace.quarry.test")
	_, old := e.obtain(t, ctx, c, acme.NewOrderRequest{Identifiers: names}, acme.ChallengeHTTP01, ecKey())
	oldID, err := client.ARICertID(old)
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	orders := make([]*client.Order, n)
	for i := range orders {
		// The account's authorization is reused, so each order is ready.
		if orders[i], err = c.NewOrder(ctx, acme.NewOrderRequest{Identifiers: names, Replaces: oldID}); err != nil {
			t.Fatalf("order %d: %v", i, err)
		}
		if orders[i].Status != acme.StatusReady {
			t.Fatalf("order %d: got status %s, want ready", i, orders[i].Status)
		}
	}
	csrs := make([][]byte, n)
	for i := range csrs {
		csrs[i] = csrForIDs(t, ecKey(), names)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range orders {
		wg.Go(func() { _, errs[i] = c.Finalize(ctx, orders[i].Finalize, csrs[i]) })
	}
	wg.Wait()
	issued := 0
	for i, err := range errs {
		if err == nil {
			issued++
			continue
		}
		wantProblem(t, err, acme.ProblemAlreadyReplaced, http.StatusConflict)
		o, gerr := c.GetOrder(ctx, orders[i].URL)
		if gerr != nil || o.Status != acme.StatusReady {
			t.Errorf("losing order %d: got %v, %v; want it ready", i, o, gerr)
		}
	}
	if issued != 1 {
		t.Errorf("got %d certificates, want 1", issued)
	}
}
