package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/client/renew"
	"github.com/quarry-ca/quarry/internal/core"
)

func open(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return s
}

func version(n int) Files {
	v := func(k string) []byte { return []byte(fmt.Sprintf("%s version %d\n", k, n)) }
	return Files{Cert: v("cert"), Chain: v("chain"), FullChain: v("fullchain"), PrivKey: v("privkey")}
}

func TestSaveVersionLayout(t *testing.T) {
	s := open(t)
	for want := 1; want <= 2; want++ {
		got, err := s.SaveVersion("example.org", version(want))
		if err != nil || got != want {
			t.Fatalf("got version %d, %v, want %d", got, err, want)
		}
	}
	for _, k := range kinds {
		target, err := os.Readlink(s.LivePath("example.org", k))
		if want := filepath.Join("..", "..", "archive", "example.org", k+"2.pem"); err != nil || target != want {
			t.Errorf("got link %s -> %q (%v), want %q", k, target, err, want)
		}
		b, err := os.ReadFile(s.LivePath("example.org", k))
		if err != nil || !bytes.Equal(b, version(2).get(k)) {
			t.Errorf("got %s %q (%v), want version 2", k, b, err)
		}
	}
	fi, err := os.Stat(s.path("archive", "example.org", "privkey2.pem"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("got privkey mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	left, _ := filepath.Glob(s.path("archive", "example.org", ".*"))
	if len(left) != 0 {
		t.Errorf("got temp files %v left behind, want none", left)
	}
}

// TestCrashLeavesOldLineage stops a second SaveVersion before each step and
// checks that a reader still gets one complete version, and that the next
// run repairs and moves on.
func TestCrashLeavesOldLineage(t *testing.T) {
	steps := []string{"archive privkey", "archive cert", "archive chain", "archive fullchain",
		"live privkey", "live cert", "live chain", "live fullchain"}
	for i, step := range steps {
		t.Run(step, func(t *testing.T) {
			s := open(t)
			if _, err := s.SaveVersion("a.example", version(1)); err != nil {
				t.Fatal(err)
			}
			crash := errors.New("crash")
			s.fail = func(at string) error {
				if at == step {
					return crash
				}
				return nil
			}
			if _, err := s.SaveVersion("a.example", version(2)); !errors.Is(err, crash) {
				t.Fatalf("got %v, want the injected crash", err)
			}
			s.fail = nil
			n, f, err := s.Current("a.example")
			wantN := 1
			if i > 4 { // at least one link had moved to the complete version 2
				wantN = 2
			}
			if err != nil || n != wantN || !bytes.Equal(f.Cert, version(wantN).Cert) || !bytes.Equal(f.PrivKey, version(wantN).PrivKey) {
				t.Fatalf("got version %d cert %q (%v), want complete version %d", n, f.Cert, err, wantN)
			}
			if err := s.Repair("a.example"); err != nil {
				t.Fatalf("repair: %v", err)
			}
			for _, k := range kinds {
				if b, _ := os.ReadFile(s.LivePath("a.example", k)); !bytes.Equal(b, version(wantN).get(k)) {
					t.Errorf("got live %s %q after repair, want version %d", k, b, wantN)
				}
			}
			next, err := s.SaveVersion("a.example", version(3))
			wantNext := 3 // past the partial version 2
			if i == 0 {
				wantNext = 2 // nothing of version 2 was written
			}
			if err != nil || next != wantNext {
				t.Errorf("got next version %d (%v), want %d", next, err, wantNext)
			}
		})
	}
}

func TestSaveVersionRejects(t *testing.T) {
	tests := []struct {
		name  string
		lname string
		files Files
	}{
		{"empty key", "ok.example", Files{Cert: []byte("c"), Chain: []byte("c"), FullChain: []byte("c")}},
		{"path escape", "../etc", version(1)},
		{"slash", "a/b", version(1)},
		{"hidden", ".x", version(1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			if _, err := s.SaveVersion(tt.lname, tt.files); !errors.Is(err, core.ErrMalformed) {
				t.Errorf("got %v, want ErrMalformed", err)
			}
		})
	}
}

func TestCurrentMissing(t *testing.T) {
	if _, _, err := open(t).Current("nothing.example"); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("got %v, want ErrNotFound", err)
	}
}

func TestLockExcludes(t *testing.T) {
	s := open(t)
	unlock, err := s.Lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := s.Lock(ctx); !errors.Is(err, ErrLocked) {
		t.Fatalf("got %v while held, want ErrLocked", err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	unlock2, err := s.Lock(context.Background())
	if err != nil {
		t.Fatalf("got %v after release, want the lock", err)
	}
	unlock2()
}

func TestAccounts(t *testing.T) {
	s := open(t)
	a := Account{ID: "abc123", Server: "https://127.0.0.1:14000/dir", URL: "https://127.0.0.1:14000/acct/1", CreatedAt: time.Unix(1, 0).UTC()}
	if err := s.SaveAccount(a, []byte("KEY")); err != nil {
		t.Fatal(err)
	}
	got, key, err := s.LoadAccount(a.Server, a.ID)
	if err != nil || got.URL != a.URL || string(key) != "KEY" {
		t.Fatalf("got %+v %q (%v), want %+v", got, key, err, a)
	}
	fi, _ := os.Stat(s.path("accounts", "127.0.0.1_14000", "abc123", "private_key.pem"))
	if fi == nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("got key file %v, want mode 0600", fi)
	}
	list, err := s.Accounts(a.Server)
	if err != nil || len(list) != 1 || list[0].ID != a.ID {
		t.Errorf("got %+v (%v), want one account", list, err)
	}
	if _, _, err := s.LoadAccount(a.Server, "nope"); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("got %v, want ErrNotFound", err)
	}
}

func TestRenewalConf(t *testing.T) {
	s := open(t)
	r := Renewal{Server: "https://x/dir", Account: "a", Domains: []string{"x.example"}, Authenticator: AuthWebroot, Webroot: "/srv", KeyType: "ecdsa"}
	if err := s.SaveRenewal("x.example", r); err != nil {
		t.Fatal(err)
	}
	got, err := s.LoadRenewal("x.example")
	if err != nil || got.Webroot != "/srv" || got.Version != confVersion {
		t.Fatalf("got %+v (%v), want the saved config", got, err)
	}
	names, _ := s.Names()
	if len(names) != 1 || names[0] != "x.example" {
		t.Errorf("got names %v, want [x.example]", names)
	}
	tests := []struct {
		name string
		body string
	}{
		{"unknown key", "version: 1\nserver: s\naccount: a\ndomains: [x]\nauthenticator: standalone\nkey_type: rsa\ncolour: red\n"},
		{"wrong version", "version: 9\nserver: s\naccount: a\ndomains: [x]\nauthenticator: standalone\nkey_type: rsa\n"},
		{"webroot without path", "version: 1\nserver: s\naccount: a\ndomains: [x]\nauthenticator: webroot\nkey_type: rsa\n"},
		{"bad key type", "version: 1\nserver: s\naccount: a\ndomains: [x]\nauthenticator: standalone\nkey_type: dsa\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(s.confPath("bad"), []byte(tt.body), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := s.LoadRenewal("bad"); !errors.Is(err, core.ErrMalformed) {
				t.Errorf("got %v, want ErrMalformed", err)
			}
		})
	}
}

func TestStateRoundTrip(t *testing.T) {
	s := open(t)
	st, err := s.LoadState("y.example")
	if err != nil || st.Failures != 0 {
		t.Fatalf("got %+v (%v) before any save, want zero state", st, err)
	}
	want := renew.State{}.Failed(time.Unix(100, 0).UTC(), errors.New("refused"), time.Hour)
	if err := s.SaveState("y.example", want); err != nil {
		t.Fatal(err)
	}
	got, err := s.LoadState("y.example")
	if err != nil || got.Failures != 1 || !got.LastFailure.Equal(want.LastFailure) || got.LastError != "refused" || !got.RetryAfter.Equal(want.RetryAfter) {
		t.Errorf("got %+v (%v), want %+v", got, err, want)
	}
}

func TestServerDir(t *testing.T) {
	tests := []struct {
		name, url, want string
		wantErr         bool
	}{
		{"host", "https://acme-v02.api.letsencrypt.org/directory", "acme-v02.api.letsencrypt.org", false},
		{"host and port", "https://127.0.0.1:14000/directory", "127.0.0.1_14000", false},
		{"ipv6", "https://[::1]:14000/dir", "__1_14000", false},
		{"no host", "directory", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ServerDir(tt.url)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Errorf("got %q, %v, want %q (error %v)", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
