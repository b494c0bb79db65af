package store

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/internal/core"
)

func TestPendingKey(t *testing.T) {
	a := Account{ID: "acct1", Server: "https://127.0.0.1:14000/dir", URL: "https://127.0.0.1:14000/acct/1", CreatedAt: time.Unix(1, 0).UTC()}
	tests := []struct {
		name    string
		promote bool
		wantKey string
	}{
		{"promoted", true, "NEW"},
		{"dropped", false, "OLD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			if err := s.SaveAccount(a, []byte("OLD")); err != nil {
				t.Fatal(err)
			}
			if p, err := s.PendingKey(a.Server, a.ID); p != nil || err != nil {
				t.Fatalf("got pending %q (%v) before any rollover, want none", p, err)
			}
			if err := s.SavePendingKey(a.Server, a.ID, []byte("NEW")); err != nil {
				t.Fatal(err)
			}
			fi, err := os.Stat(s.path("accounts", "127.0.0.1_14000", a.ID, "pending_key.pem"))
			if err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("got pending key %v (%v), want mode 0600", fi, err)
			}
			if p, _ := s.PendingKey(a.Server, a.ID); string(p) != "NEW" {
				t.Errorf("got pending %q, want NEW", p)
			}
			if tt.promote {
				err = s.PromotePendingKey(a.Server, a.ID)
			} else {
				err = s.DropPendingKey(a.Server, a.ID)
			}
			if err != nil {
				t.Fatal(err)
			}
			if _, key, err := s.LoadAccount(a.Server, a.ID); err != nil || string(key) != tt.wantKey {
				t.Errorf("got key %q (%v), want %q", key, err, tt.wantKey)
			}
			if p, _ := s.PendingKey(a.Server, a.ID); p != nil {
				t.Errorf("got pending %q after settling, want none", p)
			}
		})
	}
}

func TestUpdateAndDeleteAccount(t *testing.T) {
	s := open(t)
	a := Account{ID: "acct2", Server: "https://ca.example/dir", URL: "https://ca.example/acct/2"}
	if err := s.UpdateAccount(a); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("got %v updating a missing account, want ErrNotFound", err)
	}
	if err := s.SaveAccount(a, []byte("K")); err != nil {
		t.Fatal(err)
	}
	a.Contact = []string{"mailto:new@example.org"}
	if err := s.UpdateAccount(a); err != nil {
		t.Fatal(err)
	}
	got, key, err := s.LoadAccount(a.Server, a.ID)
	if err != nil || len(got.Contact) != 1 || string(key) != "K" {
		t.Errorf("got %+v key %q (%v), want the new contact and the old key", got, key, err)
	}
	if err := s.DeleteAccount(a.Server, a.ID); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.Accounts(a.Server); len(list) != 0 {
		t.Errorf("got %v after delete, want no accounts", list)
	}
}

func TestRenewalValidateNewFields(t *testing.T) {
	base := Renewal{Version: 1, Server: "s", Account: "a", Domains: []string{"a.example", "b.example"}, KeyType: "ecdsa"}
	tests := []struct {
		name    string
		mutate  func(r *Renewal)
		wantErr bool
	}{
		{"map covers all", func(r *Renewal) {
			r.Authenticator, r.WebrootMap = AuthWebroot, map[string]string{"a.example": "/a", "b.example": "/b"}
		}, false},
		{"map with default", func(r *Renewal) {
			r.Authenticator, r.WebrootMap, r.Webroot = AuthWebroot, map[string]string{"a.example": "/a"}, "/srv"
		}, false},
		{"map misses a name", func(r *Renewal) {
			r.Authenticator, r.WebrootMap = AuthWebroot, map[string]string{"a.example": "/a"}
		}, true},
		{"manual dns", func(r *Renewal) { r.Authenticator, r.ManualChallenge = AuthManual, "dns-01" }, false},
		{"manual without challenge", func(r *Renewal) { r.Authenticator = AuthManual }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := base
			tt.mutate(&r)
			if err := r.Validate(); (err != nil) != tt.wantErr {
				t.Errorf("got %v, want error %v", err, tt.wantErr)
			}
		})
	}
}
