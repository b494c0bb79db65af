package client

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

func TestNewOptions(t *testing.T) {
	key := newKey(t)
	tests := []struct {
		name    string
		opts    Options
		wantErr bool
	}{
		{name: "minimal", opts: Options{DirectoryURL: "https://ca.example/dir", Key: key}},
		{name: "no directory", opts: Options{Key: key}, wantErr: true},
		{name: "no key", opts: Options{DirectoryURL: "https://ca.example/dir"}, wantErr: true},
		{name: "roots and client", opts: Options{DirectoryURL: "https://ca.example/dir", Key: key, HTTPClient: &http.Client{}, RootCAs: nil}},
		{name: "roots and client both set", opts: Options{DirectoryURL: "https://ca.example/dir", Key: key, HTTPClient: &http.Client{}, RootCAs: x509.NewCertPool()}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("New: got %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr && !errors.Is(err, core.ErrMalformed) {
				t.Errorf("error kind: got %v, want %s", err, core.ErrMalformed)
			}
		})
	}
}

func TestRegister(t *testing.T) {
	tests := []struct {
		name        string
		status      int
		eab         *EAB
		wantCreated bool
	}{
		{name: "new account", status: http.StatusCreated, wantCreated: true},
		{name: "existing account", status: http.StatusOK, wantCreated: false},
		{name: "with external account binding", status: http.StatusCreated, eab: &EAB{KID: "kid-1", HMACKey: []byte("0123456789abcdef0123456789abcdef")}, wantCreated: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeACME(t)
			f.handle("POST /new-acct", func(w http.ResponseWriter, r *http.Request) {
				req := readJWS(t, r)
				if req.KID != "" || req.JWK == nil {
					t.Errorf("newAccount signed with kid %q jwk %s, want jwk only", req.KID, req.JWK)
				}
				var acct acme.Account
				if err := json.Unmarshal(req.Payload, &acct); err != nil {
					t.Fatal(err)
				}
				if got := acct.ExternalAccountBinding != nil; got != (tt.eab != nil) {
					t.Errorf("externalAccountBinding present: got %v, want %v", got, tt.eab != nil)
				}
				if !acct.TermsOfServiceAgreed {
					t.Errorf("termsOfServiceAgreed: got false, want true")
				}
				w.Header().Set("Location", "/acct/7")
				writeJSON(w, tt.status, acme.Account{Status: acme.StatusValid, Contact: acct.Contact})
			})
			c, err := New(Options{DirectoryURL: f.url("/dir"), Key: newKey(t), HTTPClient: f.srv.Client()})
			if err != nil {
				t.Fatal(err)
			}
			a, err := c.Register(context.Background(), acme.Account{Contact: []string{"mailto:a@example.org"}, TermsOfServiceAgreed: true}, tt.eab)
			if err != nil {
				t.Fatalf("Register: %v", err)
			}
			if a.Created != tt.wantCreated || a.URL != f.url("/acct/7") || a.Status != acme.StatusValid {
				t.Errorf("account: got %+v, want URL %s created %v", a, f.url("/acct/7"), tt.wantCreated)
			}
			if c.AccountURL() != a.URL {
				t.Errorf("AccountURL(): got %q, want %q", c.AccountURL(), a.URL)
			}
		})
	}
}

func TestAccountLookedUpWhenUnknown(t *testing.T) {
	f := newFakeACME(t)
	lookups := 0
	f.handle("POST /new-acct", func(w http.ResponseWriter, r *http.Request) {
		var acct acme.Account
		json.Unmarshal(readJWS(t, r).Payload, &acct)
		if !acct.OnlyReturnExisting {
			t.Errorf("lookup without onlyReturnExisting")
		}
		lookups++
		w.Header().Set("Location", "/acct/3")
		writeJSON(w, http.StatusOK, acme.Account{Status: acme.StatusValid})
	})
	var kids []string
	f.handle("POST /acct/3", func(w http.ResponseWriter, r *http.Request) {
		req := readJWS(t, r)
		kids = append(kids, req.KID)
		var body map[string]any
		json.Unmarshal(req.Payload, &body)
		writeJSON(w, http.StatusOK, acme.Account{Status: acme.StatusValid, Contact: []string{"mailto:new@example.org"}})
	})
	c, err := New(Options{DirectoryURL: f.url("/dir"), Key: newKey(t), HTTPClient: f.srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 2 {
		a, err := c.UpdateAccount(ctx, []string{"mailto:new@example.org"})
		if err != nil {
			t.Fatalf("UpdateAccount: %v", err)
		}
		if a.URL != f.url("/acct/3") || len(a.Contact) != 1 {
			t.Errorf("account: got %+v, want URL %s with the new contact", a, f.url("/acct/3"))
		}
	}
	if lookups != 1 {
		t.Errorf("lookups: got %d, want 1 (then the URL is remembered)", lookups)
	}
	for _, k := range kids {
		if k != f.url("/acct/3") {
			t.Errorf("kid: got %q, want %q", k, f.url("/acct/3"))
		}
	}
}

func TestRolloverKey(t *testing.T) {
	f := newFakeACME(t)
	var inner struct{ Protected, Payload string }
	var outerKID string
	f.handle("POST /key-change", func(w http.ResponseWriter, r *http.Request) {
		req := readJWS(t, r)
		outerKID = req.KID
		if err := json.Unmarshal(req.Payload, &inner); err != nil {
			t.Errorf("outer payload is not a JWS: %v", err)
		}
		writeJSON(w, http.StatusOK, acme.Account{Status: acme.StatusValid})
	})
	c := f.client(nil)
	ctx := context.Background()
	newK := newKey(t)
	if err := c.RolloverKey(ctx, newK); err != nil {
		t.Fatalf("RolloverKey: %v", err)
	}
	if outerKID != f.url("/acct/1") {
		t.Errorf("outer kid: got %q, want %q", outerKID, f.url("/acct/1"))
	}
	payload, _ := base64.RawURLEncoding.DecodeString(inner.Payload)
	var kc acme.KeyChangeRequest
	if err := json.Unmarshal(payload, &kc); err != nil || kc.Account != f.url("/acct/1") || kc.OldKey == nil {
		t.Errorf("inner payload: got %s (%v), want account %s and oldKey", payload, err, f.url("/acct/1"))
	}
	ka, _ := c.KeyAuthorization("tok")
	want, _ := acme.KeyAuthorization("tok", newK.Public())
	if ka != want {
		t.Errorf("KeyAuthorization after rollover: got %q, want %q (new key)", ka, want)
	}
	if err := c.RolloverKey(ctx, nil); !errors.Is(err, core.ErrMalformed) {
		t.Errorf("RolloverKey(nil): got %v, want %s", err, core.ErrMalformed)
	}
}

func TestDeactivateAccount(t *testing.T) {
	f := newFakeACME(t)
	var body string
	f.handle("POST /acct/1", func(w http.ResponseWriter, r *http.Request) {
		body = string(readJWS(t, r).Payload)
		writeJSON(w, http.StatusOK, acme.Account{Status: acme.StatusDeactivated})
	})
	if err := f.client(nil).DeactivateAccount(context.Background()); err != nil {
		t.Fatalf("DeactivateAccount: %v", err)
	}
	if body != `{"status":"deactivated"}` {
		t.Errorf("payload: got %s, want {\"status\":\"deactivated\"}", body)
	}
}
