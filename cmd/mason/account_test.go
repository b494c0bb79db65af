package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/client/store"
	"github.com/quarry-ca/quarry/internal/config"
)

// accountFiles returns the single stored account's directory.
func accountFiles(t *testing.T, r *runner) string {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(r.dir, "accounts", "*", "*"))
	if len(dirs) != 1 {
		t.Fatalf("got account dirs %v, want one", dirs)
	}
	return dirs[0]
}

func showAccount(t *testing.T, r *runner) accountView {
	t.Helper()
	code, out, errOut := r.run("account", "show", "--json")
	var v accountView
	if err := json.Unmarshal([]byte(out), &v); code != exitOK || err != nil {
		t.Fatalf("got account show exit %d %q %q (%v), want JSON", code, out, errOut, err)
	}
	return v
}

func TestAccountLifecycle(t *testing.T) {
	q := startQuarry(t)
	r := newRunner(t, q)
	if code, out, errOut := r.run("register", "--agree-tos", "--email", "first@quarry.test"); code != exitOK {
		t.Fatalf("register: exit %d %s %s", code, out, errOut)
	}
	if v := showAccount(t, r); v.Status != "valid" || len(v.Contact) != 1 || v.Contact[0] != "mailto:first@quarry.test" {
		t.Errorf("got %+v, want a valid account with the first contact", v)
	}
	if code, _, errOut := r.run("account", "update", "--email", "second@quarry.test,third@quarry.test"); code != exitOK {
		t.Fatalf("update: exit %d %s", code, errOut)
	}
	if v := showAccount(t, r); len(v.Contact) != 2 || v.Contact[0] != "mailto:second@quarry.test" {
		t.Errorf("got contact %v after update, want the two new addresses", v.Contact)
	}
	dir := accountFiles(t, r)
	before, _ := os.ReadFile(filepath.Join(dir, "private_key.pem"))
	url := showAccount(t, r).URL
	if code, out, errOut := r.run("account", "rollover"); code != exitOK || !strings.Contains(out, "rolled over") {
		t.Fatalf("rollover: exit %d %q %q", code, out, errOut)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "private_key.pem"))
	if string(after) == string(before) {
		t.Error("got the same key file after rollover, want the new key")
	}
	if fi, err := os.Stat(filepath.Join(dir, "private_key.pem")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("got key mode %v (%v) after rollover, want 0600", fi, err)
	}
	if v := showAccount(t, r); v.URL != url {
		t.Errorf("got account %s signing with the new key, want %s", v.URL, url)
	}

	if code, _, errOut := r.run("account", "deactivate"); code != exitUsage || !strings.Contains(errOut, "--yes") {
		t.Errorf("got exit %d %q deactivating without --yes, want 2 asking for it", code, errOut)
	}
	if code, _, errOut := r.run("account", "deactivate", "--yes"); code != exitOK {
		t.Fatalf("deactivate: exit %d %s", code, errOut)
	}
	if left, _ := filepath.Glob(filepath.Join(r.dir, "accounts", "*", "*")); len(left) != 0 {
		t.Errorf("got %v after deactivation, want the account forgotten", left)
	}
	if code, _, errOut := r.run("account", "show"); code != exitFailed || !strings.Contains(errOut, "no account") {
		t.Errorf("got exit %d %q with no account, want 1 saying so", code, errOut)
	}
	if code, _, _ := r.run("account", "frobnicate"); code != exitUsage {
		t.Errorf("got exit %d for an unknown subcommand, want 2", code)
	}
}

// TestRolloverInterrupted leaves a pending key as a crash would, in both
// outcomes, and checks that the next run asks the server and settles it.
func TestRolloverInterrupted(t *testing.T) {
	q := startQuarry(t)
	tests := []struct {
		name        string
		serverKnows bool
	}{
		{"server never got the new key", false},
		{"server switched before the crash", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRunner(t, q)
			if code, _, errOut := r.run("register", "--agree-tos"); code != exitOK {
				t.Fatalf("register: %s", errOut)
			}
			st, err := store.Open(r.dir)
			if err != nil {
				t.Fatal(err)
			}
			accts, _ := st.Accounts(q.srv.DirectoryURL())
			old := accts[0]
			newKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			newPEM, _ := encodeKey(newKey)
			if tt.serverKnows {
				s, err := loadSession(context.Background(), env{now: time.Now}, st, old.Server, q.roots, old.ID)
				if err != nil {
					t.Fatal(err)
				}
				if err := s.client.RolloverKey(context.Background(), newKey); err != nil {
					t.Fatal(err)
				}
			}
			if err := st.SavePendingKey(old.Server, old.ID, newPEM); err != nil {
				t.Fatal(err)
			}
			_, oldPEM, _ := st.LoadAccount(old.Server, old.ID)
			if v := showAccount(t, r); v.URL != old.URL {
				t.Errorf("got account %s, want %s", v.URL, old.URL)
			}
			_, gotPEM, _ := st.LoadAccount(old.Server, old.ID)
			want := oldPEM
			if tt.serverKnows {
				want = newPEM
			}
			if string(gotPEM) != string(want) {
				t.Errorf("got key changed=%v, want the key the server knows", string(gotPEM) != string(oldPEM))
			}
			if p, _ := st.PendingKey(old.Server, old.ID); p != nil {
				t.Error("got the pending key still there, want it settled")
			}
		})
	}
}

func TestRegisterEAB(t *testing.T) {
	hmacKey := base64.RawURLEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	q := startQuarry(t, func(c *config.Config) {
		c.ACME.EABRequired = true
		c.ACME.EABKeys = map[string]string{"kid-1": hmacKey}
	})
	wrong := base64.RawURLEncoding.EncodeToString([]byte("not the key at all, not the key!"))
	tests := []struct {
		name     string
		args     []string
		wantCode int
	}{
		{"no binding", nil, exitFailed},
		{"kid without key", []string{"--eab-kid", "kid-1"}, exitUsage},
		{"key not base64", []string{"--eab-kid", "kid-1", "--eab-hmac-key", "!!!"}, exitUsage},
		{"wrong key", []string{"--eab-kid", "kid-1", "--eab-hmac-key", wrong}, exitFailed},
		{"unknown kid", []string{"--eab-kid", "kid-2", "--eab-hmac-key", hmacKey}, exitFailed},
		{"bound", []string{"--eab-kid", "kid-1", "--eab-hmac-key", hmacKey}, exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRunner(t, q)
			code, _, errOut := r.run(append([]string{"register", "--agree-tos"}, tt.args...)...)
			if code != tt.wantCode {
				t.Fatalf("got exit %d %q, want %d", code, errOut, tt.wantCode)
			}
			accts, _ := filepath.Glob(filepath.Join(r.dir, "accounts", "*", "*", "private_key.pem"))
			if wantSaved := tt.wantCode == exitOK; (len(accts) == 1) != wantSaved {
				t.Errorf("got saved keys %v, want saved=%v", accts, wantSaved)
			}
			if code != exitOK && strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Errorf("got %q, want one sentence", errOut)
			}
		})
	}
}

func TestParseReason(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{"unspecified", 0, false},
		{"keyCompromise", 1, false},
		{"keycompromise", 1, false},
		{"superseded", 4, false},
		{"cessationofoperation", 5, false},
		{"3", 3, false},
		{"2", 0, true}, // cACompromise: not the subscriber's to claim
		{"frobnicated", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseReason(tt.in)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("got %d, %v, want %d (error %v)", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestRevokeByCertKeyAndDelete(t *testing.T) {
	q := startQuarry(t)
	r := newRunner(t, q)
	for _, n := range []string{"auto.quarry.test", "path.quarry.test"} {
		if code, out, errOut := r.run("certonly", "--agree-tos", "-d", n, "--standalone", "--http-port", itoa(q.httpPort)); code != exitOK {
			t.Fatalf("certonly %s: exit %d %s %s", n, code, out, errOut)
		}
	}
	live := func(name, f string) string { return filepath.Join(r.dir, "live", name, f) }
	code, _, errOut := r.run("revoke", "--cert-path", live("path.quarry.test", "cert.pem"), "--key-path", live("auto.quarry.test", "privkey.pem"))
	if code != exitFailed || !strings.Contains(errOut, "does not belong") {
		t.Errorf("got exit %d %q with another certificate's key, want 1 saying it does not belong", code, errOut)
	}
	code, out, errOut := r.run("revoke", "--cert-path", live("path.quarry.test", "cert.pem"), "--key-path", live("path.quarry.test", "privkey.pem"), "--reason", "keycompromise", "--json")
	if code != exitOK || !strings.Contains(out, `"reason": 1`) {
		t.Errorf("got exit %d %q %q revoking by key, want success with reason 1", code, out, errOut)
	}
	if code, _, errOut := r.run("revoke", "--cert-name", "auto.quarry.test", "--reason", "bogus"); code != exitUsage || !strings.Contains(errOut, "--reason") {
		t.Errorf("got exit %d %q for a bad reason, want 2", code, errOut)
	}
	// With no account left, revoke signs with the lineage's own key.
	if err := os.RemoveAll(filepath.Join(r.dir, "accounts")); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = r.run("revoke", "--cert-name", "auto.quarry.test", "--reason", "superseded")
	if code != exitOK || !strings.Contains(out, "own key") {
		t.Errorf("got exit %d %q %q revoking without an account, want the lineage key to sign", code, out, errOut)
	}
	if code, _, _ := r.run("revoke", "--cert-name", "auto.quarry.test"); code != exitFailed {
		t.Errorf("got exit %d revoking twice, want 1", code)
	}

	if code, _, errOut := r.run("delete", "--cert-name", "auto.quarry.test"); code != exitOK {
		t.Fatalf("delete: exit %d %s", code, errOut)
	}
	for _, p := range []string{"live/auto.quarry.test", "archive/auto.quarry.test", "renewal/auto.quarry.test.conf"} {
		if _, err := os.Lstat(filepath.Join(r.dir, p)); !os.IsNotExist(err) {
			t.Errorf("got %s still there (%v), want it deleted", p, err)
		}
	}
	if _, err := os.Stat(live("path.quarry.test", "cert.pem")); err != nil {
		t.Errorf("got %v for the other lineage, want it untouched", err)
	}
	if code, _, errOut := r.run("delete", "--cert-name", "auto.quarry.test"); code != exitFailed || !strings.Contains(errOut, "no certificate") {
		t.Errorf("got exit %d %q deleting twice, want 1", code, errOut)
	}
}

// TestRenewAfterNewAccount deactivates the account a lineage was issued
// under: renew then uses the server's other account and records it.
func TestRenewAfterNewAccount(t *testing.T) {
	q := startQuarry(t)
	r := newRunner(t, q)
	if code, out, errOut := r.run("certonly", "--agree-tos", "-d", "moved.quarry.test", "--standalone", "--http-port", itoa(q.httpPort)); code != exitOK {
		t.Fatalf("certonly: exit %d %s %s", code, out, errOut)
	}
	if code, _, errOut := r.run("account", "deactivate", "--yes"); code != exitOK {
		t.Fatalf("deactivate: %s", errOut)
	}
	if code, _, errOut := r.run("renew", "--force-renewal"); code != exitPartial || !strings.Contains(errOut, "no account") {
		t.Errorf("got exit %d %q with no account at all, want 4 saying so", code, errOut)
	}
	if code, _, errOut := r.run("register", "--agree-tos"); code != exitOK {
		t.Fatalf("register: %s", errOut)
	}
	if code, out, errOut := r.run("renew", "--force-renewal"); code != exitOK {
		t.Fatalf("got renew exit %d %s %s under the new account, want 0", code, out, errOut)
	}
	st, _ := store.Open(r.dir)
	conf, _ := st.LoadRenewal("moved.quarry.test")
	if want := filepath.Base(accountFiles(t, r)); conf.Account != want {
		t.Errorf("got renewal account %s, want the new account %s", conf.Account, want)
	}
}
