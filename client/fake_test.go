package client

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
)

// fakeACME is a scripted ACME server for unit tests: a real HTTP listener
// with a directory and newNonce; each test adds the handlers it needs.
type fakeACME struct {
	t   *testing.T
	srv *httptest.Server
	mux *http.ServeMux

	mu     sync.Mutex
	issued int
}

func newFakeACME(t *testing.T) *fakeACME {
	t.Helper()
	f := &fakeACME{t: t, mux: http.NewServeMux()}
	f.srv = httptest.NewServer(f.mux)
	t.Cleanup(f.srv.Close)
	f.mux.HandleFunc("GET /dir", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, acme.Directory{
			NewNonce:    f.url("/nonce"),
			NewAccount:  f.url("/new-acct"),
			NewOrder:    f.url("/new-order"),
			RevokeCert:  f.url("/revoke"),
			KeyChange:   f.url("/key-change"),
			RenewalInfo: f.url("/renewal-info/"),
		})
	})
	f.mux.HandleFunc("HEAD /nonce", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Replay-Nonce", f.nextNonce())
	})
	return f
}

func (f *fakeACME) url(path string) string { return f.srv.URL + path }

// nextNonce returns a new nonce "n1", "n2", …
func (f *fakeACME) nextNonce() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.issued++
	return fmt.Sprintf("n%d", f.issued)
}

// handle adds a handler; each gets a fresh Replay-Nonce like a real server.
func (f *fakeACME) handle(pattern string, h http.HandlerFunc) {
	f.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Replay-Nonce", f.nextNonce())
		h(w, r)
	})
}

// client returns a Client for f with a known account URL and a Sleep that
// records what it was asked to wait instead of waiting.
func (f *fakeACME) client(slept *[]time.Duration) *Client {
	f.t.Helper()
	var mu sync.Mutex
	c, err := New(Options{
		DirectoryURL: f.url("/dir"),
		Key:          newKey(f.t),
		AccountURL:   f.url("/acct/1"),
		HTTPClient:   f.srv.Client(),
		Sleep: func(ctx context.Context, d time.Duration) error {
			mu.Lock()
			defer mu.Unlock()
			if slept != nil {
				*slept = append(*slept, d)
			}
			return ctx.Err()
		},
	})
	if err != nil {
		f.t.Fatalf("New: %v", err)
	}
	return c
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// jwsRequest is what a test server sees of a signed request.
type jwsRequest struct {
	Nonce, URL, KID string
	JWK             json.RawMessage
	Payload         []byte
}

// readJWS decodes (without verifying) the flattened JWS in r's body.
func readJWS(t *testing.T, r *http.Request) jwsRequest {
	t.Helper()
	if got, want := r.Header.Get("Content-Type"), "application/jose+json"; got != want {
		t.Errorf("Content-Type: got %q, want %q", got, want)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	var jws struct{ Protected, Payload string }
	if err := json.Unmarshal(body, &jws); err != nil {
		t.Fatalf("request body is not a flattened JWS: %v", err)
	}
	var req jwsRequest
	prot, err := base64.RawURLEncoding.DecodeString(jws.Protected)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(prot, &req); err != nil {
		t.Fatal(err)
	}
	if req.Payload, err = base64.RawURLEncoding.DecodeString(jws.Payload); err != nil {
		t.Fatal(err)
	}
	return req
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeProblem(w http.ResponseWriter, status int, p acme.Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(p)
}
