package client

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
)

func TestBadNonceRetry(t *testing.T) {
	tests := []struct {
		name      string
		badNonces int // how many requests in a row the server rejects
		wantCalls int
		wantErr   bool
	}{
		{name: "first nonce rejected", badNonces: 1, wantCalls: 2},
		{name: "several rejected", badNonces: maxBadNonce, wantCalls: maxBadNonce + 1},
		{name: "always rejected", badNonces: 100, wantCalls: maxBadNonce + 1, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeACME(t)
			var (
				mu        sync.Mutex
				calls     int
				lastFresh string // the nonce sent with the last badNonce
				nonces    []string
			)
			f.mux.HandleFunc("POST /order/1", func(w http.ResponseWriter, r *http.Request) {
				req := readJWS(t, r)
				mu.Lock()
				defer mu.Unlock()
				calls++
				nonces = append(nonces, req.Nonce)
				if lastFresh != "" && req.Nonce != lastFresh {
					t.Errorf("retry used nonce %q, want the one from the badNonce response %q", req.Nonce, lastFresh)
				}
				if calls <= tt.badNonces {
					lastFresh = f.nextNonce()
					w.Header().Set("Replay-Nonce", lastFresh)
					writeProblem(w, http.StatusBadRequest, acme.Problem{Type: acme.ProblemBadNonce, Detail: "stale"})
					return
				}
				w.Header().Set("Replay-Nonce", f.nextNonce())
				writeJSON(w, http.StatusOK, acme.Order{Status: acme.StatusReady})
			})
			c := f.client(nil)
			o, err := c.GetOrder(context.Background(), f.url("/order/1"))
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("GetOrder error: got %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr && !IsProblem(err, acme.ProblemBadNonce) {
				t.Errorf("error: got %v, want a badNonce problem", err)
			}
			if !tt.wantErr && o.Status != acme.StatusReady {
				t.Errorf("status: got %q, want %q", o.Status, acme.StatusReady)
			}
			if calls != tt.wantCalls {
				t.Errorf("requests: got %d, want %d", calls, tt.wantCalls)
			}
			seen := map[string]bool{}
			for _, n := range nonces {
				if seen[n] {
					t.Errorf("nonce %q used twice in %v", n, nonces)
				}
				seen[n] = true
			}
		})
	}
}

func TestBusyRetry(t *testing.T) {
	type reply struct {
		status     int
		retryAfter string
		problem    acme.ProblemType
	}
	busy := reply{status: http.StatusServiceUnavailable}
	tests := []struct {
		name      string
		replies   []reply // then 200
		deadline  time.Duration
		wantSlept []time.Duration
		wantErr   acme.ProblemType
		wantRA    time.Duration
	}{
		{
			name:      "503 with Retry-After",
			replies:   []reply{{status: 503, retryAfter: "2"}},
			wantSlept: []time.Duration{2 * time.Second},
		},
		{
			name:      "503 without Retry-After backs off",
			replies:   []reply{busy, busy, busy},
			wantSlept: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second},
		},
		{
			name:      "503 forever gives up",
			replies:   []reply{busy, busy, busy, busy, busy},
			wantSlept: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second},
			wantErr:   "",
		},
		{
			name:      "short rate limit is waited out",
			replies:   []reply{{status: 429, retryAfter: "5", problem: acme.ProblemRateLimited}},
			wantSlept: []time.Duration{5 * time.Second},
		},
		{
			name:    "long rate limit goes back to the caller",
			replies: []reply{{status: 429, retryAfter: "3600", problem: acme.ProblemRateLimited}},
			wantErr: acme.ProblemRateLimited,
			wantRA:  time.Hour,
		},
		{
			name:     "wait past the deadline goes back to the caller",
			replies:  []reply{{status: 429, retryAfter: "30", problem: acme.ProblemRateLimited}},
			deadline: 10 * time.Second,
			wantErr:  acme.ProblemRateLimited,
			wantRA:   30 * time.Second,
		},
		{
			name:    "other server errors are not retried",
			replies: []reply{{status: 500, problem: acme.ProblemServerInternal}},
			wantErr: acme.ProblemServerInternal,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeACME(t)
			calls := 0
			f.handle("POST /order/1", func(w http.ResponseWriter, r *http.Request) {
				readJWS(t, r)
				calls++
				if calls <= len(tt.replies) {
					rp := tt.replies[calls-1]
					if rp.retryAfter != "" {
						w.Header().Set("Retry-After", rp.retryAfter)
					}
					if rp.problem == "" {
						w.WriteHeader(rp.status)
						return
					}
					writeProblem(w, rp.status, acme.Problem{Type: rp.problem})
					return
				}
				writeJSON(w, http.StatusOK, acme.Order{Status: acme.StatusValid})
			})
			var slept []time.Duration
			c := f.client(&slept)
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			_, err := c.GetOrder(ctx, f.url("/order/1"))
			wantFail := tt.wantErr != "" || len(tt.replies) > maxBusy
			if gotFail := err != nil; gotFail != wantFail {
				t.Fatalf("GetOrder error: got %v, want error %v", err, wantFail)
			}
			if tt.wantErr != "" && !IsProblem(err, tt.wantErr) {
				t.Errorf("error: got %v, want problem %s", err, tt.wantErr)
			}
			if tt.wantRA > 0 {
				var e *Error
				if !errors.As(err, &e) || e.RetryAfter != tt.wantRA {
					t.Errorf("RetryAfter: got %v, want %v", err, tt.wantRA)
				}
			}
			if !slices.Equal(slept, tt.wantSlept) {
				t.Errorf("slept: got %v, want %v", slept, tt.wantSlept)
			}
		})
	}
}

func TestRequestHeaders(t *testing.T) {
	f := newFakeACME(t)
	var got http.Header
	f.handle("POST /cert/1", func(w http.ResponseWriter, r *http.Request) {
		req := readJWS(t, r)
		if len(req.Payload) != 0 {
			t.Errorf("payload: got %q, want empty (POST-as-GET)", req.Payload)
		}
		if req.KID != f.url("/acct/1") || req.JWK != nil {
			t.Errorf("signed with kid %q jwk %s, want kid %q and no jwk", req.KID, req.JWK, f.url("/acct/1"))
		}
		if req.URL != f.url("/cert/1") {
			t.Errorf("url header: got %q, want %q", req.URL, f.url("/cert/1"))
		}
		got = r.Header.Clone()
		w.Header().Set("Content-Type", contentPEMSet)
		w.Write(testChainPEM(t))
	})
	c := f.client(nil)
	if _, err := c.FetchCertificate(context.Background(), f.url("/cert/1")); err != nil {
		t.Fatalf("FetchCertificate: %v", err)
	}
	if ua := got.Get("User-Agent"); !strings.HasPrefix(ua, "quarry-client/") {
		t.Errorf("User-Agent: got %q, want quarry-client/<version>", ua)
	}
	if a := got.Get("Accept"); a != "application/pem-certificate-chain" {
		t.Errorf("Accept: got %q, want application/pem-certificate-chain", a)
	}
}

func TestNoncePool(t *testing.T) {
	var p noncePool
	for i := range maxNonces + 5 {
		p.add(string(rune('a' + i%26)))
	}
	p.add("")
	if got := len(p.nonces); got != maxNonces {
		t.Errorf("pool size: got %d, want %d", got, maxNonces)
	}
	p.add("newest")
	if got := p.take(); got != "newest" {
		t.Errorf("take: got %q, want the newest nonce", got)
	}
	var empty noncePool
	if got := empty.take(); got != "" {
		t.Errorf("take from empty pool: got %q, want \"\"", got)
	}
}
