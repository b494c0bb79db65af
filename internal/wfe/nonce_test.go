package wfe_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/quarry-ca/quarry/internal/wfe"
)

// countingNonces hands out numbered nonces and counts them.
type countingNonces struct {
	mu sync.Mutex
	n  int
}

func (c *countingNonces) Nonce(context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return fmt.Sprintf("nonce-%d", c.n), nil
}

func (c *countingNonces) issued() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// TestNonceOnlyWhereUsed checks that nonces go out on responses to POSTs
// (errors included, RFC 8555 section 6.5) and from newNonce, and nowhere
// else: each one takes a place in the bounded nonce store, and Debian's
// Ruby acme-client 2.0.9 crashes on a Replay-Nonce in the directory
// response.
func TestNonceOnlyWhereUsed(t *testing.T) {
	nonces := &countingNonces{}
	h := wfe.New(wfe.Config{}, nil, nil, nonces, nil).Handler()
	tests := []struct {
		name       string
		method     string
		path       string
		wantStatus int
		wantNonce  bool
	}{
		{name: "GET directory", method: "GET", path: "/directory", wantStatus: 200},
		{name: "HEAD newNonce", method: "HEAD", path: "/acme/new-nonce", wantStatus: 200, wantNonce: true},
		{name: "GET newNonce", method: "GET", path: "/acme/new-nonce", wantStatus: 204, wantNonce: true},
		{name: "POST error", method: "POST", path: "/acme/new-order", wantStatus: 415, wantNonce: true},
		{name: "POST to an unknown path", method: "POST", path: "/nope", wantStatus: 404, wantNonce: true},
		{name: "GET a POST resource", method: "GET", path: "/acme/new-order", wantStatus: 405},
		{name: "GET an unknown path", method: "GET", path: "/nope", wantStatus: 404},
		{name: "GET an unclean path", method: "GET", path: "/acme//new-order", wantStatus: 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := nonces.issued()
			req := httptest.NewRequest(tc.method, "https://ca.test"+tc.path, strings.NewReader("{}"))
			req.Header.Set("Content-Type", "text/plain")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.wantStatus {
				t.Errorf("got status %d, want %d (%s)", rec.Code, tc.wantStatus, rec.Body)
			}
			got := rec.Header().Get("Replay-Nonce")
			if (got != "") != tc.wantNonce {
				t.Errorf("got Replay-Nonce %q, want one: %v", got, tc.wantNonce)
			}
			if spent, want := nonces.issued()-before, map[bool]int{true: 1, false: 0}[tc.wantNonce]; spent != want {
				t.Errorf("got %d nonces issued, want %d", spent, want)
			}
		})
	}
}
