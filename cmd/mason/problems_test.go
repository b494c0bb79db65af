package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestCAProblemSentences puts a proxy in front of Quarry that answers
// newOrder with a problem, and checks the one sentence certonly prints:
// the CA's detail, what to do, no raw problem URN, nothing saved.
func TestCAProblemSentences(t *testing.T) {
	q := startQuarry(t)
	tests := []struct {
		name       string
		status     int
		typ        string
		detail     string
		retryAfter string
		wantPosts  int64 // newOrder requests mason sends
		want       []string
	}{
		{"rate limited", http.StatusTooManyRequests, "rateLimited", "too many new orders for quarry.test", "3600", 1,
			[]string{"mason: the CA is rate limiting: too many new orders for quarry.test; try again after "}},
		{"bad nonce after retries", http.StatusBadRequest, "badNonce", "JWS has an invalid anti-replay nonce", "", 6,
			[]string{"mason: the CA kept refusing fresh nonces (JWS has an invalid anti-replay nonce); try again, and if it persists check for a proxy or load balancer"}},
		{"server internal", http.StatusInternalServerError, "serverInternal", "the database is down", "", 1,
			[]string{"mason: the CA failed with an internal error: the database is down; try again later"}},
		{"rejected identifier", http.StatusBadRequest, "rejectedIdentifier", "x.quarry.test is on the block list", "", 1,
			[]string{"mason: the CA will not issue for these names: x.quarry.test is on the block list; remove the refused name from -d."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var posts atomic.Int64
			p := startProxy(t, q, func(p *quarryProxy, w http.ResponseWriter, r *http.Request) bool {
				if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/new-order") {
					return false
				}
				posts.Add(1)
				// A fresh nonce with each refusal, as a CA sends one.
				nonce := httptestNonce(t, p)
				w.Header().Set("Replay-Nonce", nonce)
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.Header().Set("Content-Type", "application/problem+json")
				w.WriteHeader(tt.status)
				json.NewEncoder(w).Encode(map[string]any{"type": "urn:ietf:params:acme:error:" + tt.typ, "detail": tt.detail, "status": tt.status})
				return true
			})
			r := newRunner(t, q)
			if code, _, errOut := r.run(append([]string{"register", "--agree-tos"}, p.args()...)...); code != exitOK {
				t.Fatalf("register: %s", errOut)
			}
			before := time.Now()
			code, out, errOut := r.run(append([]string{"certonly", "-d", "x.quarry.test", "--standalone", "--http-port", itoa(q.httpPort)}, p.args()...)...)
			if code != exitFailed || strings.Count(errOut, "\n") != 1 || strings.Contains(errOut, "urn:") || strings.Contains(errOut, "POST ") {
				t.Errorf("got exit %d %q (stdout %q), want 1 and one sentence without the problem URN or request", code, errOut, out)
			}
			for _, want := range tt.want {
				if !strings.Contains(errOut, want) {
					t.Errorf("got %q, want it to contain %q", errOut, want)
				}
			}
			if got := posts.Load(); got != tt.wantPosts {
				t.Errorf("got %d newOrder requests, want %d", got, tt.wantPosts)
			}
			if tt.retryAfter != "" {
				_, when, _ := strings.Cut(errOut, "try again after ")
				at, err := time.Parse("2006-01-02 15:04:05 UTC", strings.TrimSuffix(when, ".\n"))
				if lo, hi := before.Add(time.Hour-time.Second), time.Now().Add(time.Hour+time.Second); err != nil || at.Before(lo) || at.After(hi) {
					t.Errorf("got retry time %q (%v), want an hour from now", when, err)
				}
			}
			if live, _ := filepath.Glob(filepath.Join(r.dir, "live", "*")); len(live) != 0 {
				t.Errorf("got %v after a refused order, want nothing", live)
			}
		})
	}
}

// httptestNonce fetches a real nonce from Quarry through the proxy's
// relay, so mason's retry after a refusal is a well-formed request.
func httptestNonce(t *testing.T, p *quarryProxy) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodHead, p.srv.URL+"/acme/new-nonce", nil)
	rec := httptest.NewRecorder()
	p.rp.ServeHTTP(rec, req)
	return rec.Header().Get("Replay-Nonce")
}

// TestQuiet checks that --quiet, as cron runs mason, prints nothing when
// all is well and only the sentence when something failed.
func TestQuiet(t *testing.T) {
	q := startQuarry(t)
	r := newRunner(t, q)
	steps := []struct {
		args     []string
		wantCode int
		wantErr  string
	}{
		{[]string{"certonly", "--agree-tos", "-d", "quiet.quarry.test", "--standalone", "--http-port", itoa(q.httpPort)}, exitOK, ""},
		{[]string{"renew"}, exitOK, ""},
		{[]string{"renew", "--force-renewal"}, exitOK, ""},
		{[]string{"revoke", "--cert-name", "quiet.quarry.test"}, exitOK, ""},
		{[]string{"revoke", "--cert-name", "quiet.quarry.test"}, exitFailed, "mason: the CA says "},
	}
	for _, s := range steps {
		code, out, errOut := r.run(append(s.args, "--quiet")...)
		if code != s.wantCode || out != "" || !strings.HasPrefix(errOut, s.wantErr) || (s.wantErr == "") != (errOut == "") {
			t.Errorf("got %v exit %d stdout %q stderr %q, want %d, no output but an error starting %q", s.args, code, out, errOut, s.wantCode, s.wantErr)
		}
	}
}

// TestRenewHonoursRetryAfter checks that a renewal refused with a rate
// limit waits as long as the CA asked, not just the first minute of
// back-off, and that `mason certificates` shows that wait.
func TestRenewHonoursRetryAfter(t *testing.T) {
	q := startQuarry(t)
	var limited atomic.Bool
	p := startProxy(t, q, func(p *quarryProxy, w http.ResponseWriter, r *http.Request) bool {
		if !limited.Load() || r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/new-order") {
			return false
		}
		w.Header().Set("Replay-Nonce", httptestNonce(t, p))
		w.Header().Set("Retry-After", "3600")
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusTooManyRequests)
		json.NewEncoder(w).Encode(map[string]any{"type": "urn:ietf:params:acme:error:rateLimited", "detail": "too many certificates", "status": 429})
		return true
	})
	r := newRunner(t, q)
	code, out, errOut := r.run(append([]string{"certonly", "--agree-tos", "-d", "limit.quarry.test", "--standalone", "--http-port", itoa(q.httpPort)}, p.args()...)...)
	if code != exitOK {
		t.Fatalf("certonly: exit %d %s %s", code, out, errOut)
	}
	leaf := checkLineage(t, r, "limit.quarry.test", []string{"limit.quarry.test"})
	limited.Store(true)
	failedAt := leaf.NotAfter.Add(-24 * time.Hour)
	r.now = failedAt
	code, _, errOut = r.run("renew")
	wantErr := "mason: limit.quarry.test: the CA is rate limiting: too many certificates; try again after " + failedAt.Add(time.Hour).UTC().Format("2006-01-02 15:04:05 UTC") + ".\n"
	if code != exitPartial || errOut != wantErr {
		t.Fatalf("got exit %d %q, want 4 and %q", code, errOut, wantErr)
	}
	r.now = failedAt.Add(2 * time.Minute) // past the first back-off step
	code, out, _ = r.run("renew")
	if want := "limit.quarry.test: not retried yet; backing off after 1 failure until " + humanTime(failedAt.Add(time.Hour)); code != exitOK || !strings.Contains(out, want) {
		t.Errorf("got exit %d %q two minutes later, want %q", code, out, want)
	}
	code, out, _ = r.run("certificates", "--json")
	var shown []certInfo
	if err := json.Unmarshal([]byte(out), &shown); err != nil || code != exitOK || len(shown) != 1 ||
		shown[0].BackoffUntil == nil || !shown[0].BackoffUntil.Equal(failedAt.Add(time.Hour)) {
		t.Errorf("got certificates %s (%v), want back-off until %v", out, err, failedAt.Add(time.Hour))
	}
}
