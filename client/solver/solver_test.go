package solver

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/testdns"
)

var ch = Challenge{Domain: "www.example.test", Token: "tok-EN_1", KeyAuth: "tok-EN_1.thumb"}

func TestDNS01Name(t *testing.T) {
	tests := []struct {
		name, domain, alias, want string
	}{
		{"plain", "example.test", "", "_acme-challenge.example.test."},
		{"wildcard uses base", "*.example.test", "", "_acme-challenge.example.test."},
		{"alias", "www.example.test", "validation.test", "_acme-challenge.validation.test."},
		{"alias with dot", "*.example.test", "validation.test.", "_acme-challenge.validation.test."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DNS01Name(tt.domain, tt.alias); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestWebroot(t *testing.T) {
	root := t.TempDir()
	w := NewWebroot(root)
	srv := http.Server{Handler: http.FileServer(http.Dir(root))}
	ln := listen(t)
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String() + acme.HTTP01Path(ch.Token)
	if err := w.Present(context.Background(), ch); err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, url); code != 200 || body != ch.KeyAuth {
		t.Errorf("got %d %q, want 200 %q", code, body, ch.KeyAuth)
	}
	if err := w.CleanUp(context.Background(), ch); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, ".well-known/acme-challenge", ch.Token)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("got %v for the token file after cleanup, want it gone", err)
	}
}

func TestWebrootRejects(t *testing.T) {
	tests := []struct {
		name  string
		root  string
		token string
		want  error
	}{
		{"token escapes", "", "../../etc", core.ErrMalformed},
		{"token with slash", "", "a/b", core.ErrMalformed},
		{"unwritable root", "/proc/mason-not-writable", ch.Token, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := tt.root
			if root == "" {
				root = t.TempDir()
			}
			err := NewWebroot(root).Present(context.Background(), Challenge{Domain: "x", Token: tt.token, KeyAuth: "k"})
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("got %v, want an error (%v)", err, tt.want)
			}
		})
	}
}

func TestStandaloneHTTP(t *testing.T) {
	h, err := ListenHTTP(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	url := "http://" + h.Addr().String() + acme.HTTP01Path(ch.Token)
	h.Present(context.Background(), ch)
	if code, body := get(t, url); code != 200 || body != ch.KeyAuth {
		t.Errorf("got %d %q, want 200 %q", code, body, ch.KeyAuth)
	}
	h.CleanUp(context.Background(), ch)
	if code, _ := get(t, url); code != 404 {
		t.Errorf("got %d after cleanup, want 404", code)
	}
	if _, err := ListenHTTP(context.Background(), h.Addr().String()); err == nil {
		t.Error("got a second listener on a used port, want an error")
	}
}

func TestTLSALPN(t *testing.T) {
	s, err := ListenTLSALPN(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Present(context.Background(), ch); err != nil {
		t.Fatal(err)
	}
	conn, err := tls.Dial("tcp", s.Addr().String(), &tls.Config{
		ServerName: ch.Domain, NextProtos: []string{"acme-tls/1"}, InsecureSkipVerify: true,
	})
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	st := conn.ConnectionState()
	conn.Close()
	if st.NegotiatedProtocol != "acme-tls/1" {
		t.Errorf("got ALPN %q, want acme-tls/1", st.NegotiatedProtocol)
	}
	checkChallengeCert(t, st.PeerCertificates[0])
	if _, err := tls.Dial("tcp", s.Addr().String(), &tls.Config{ServerName: ch.Domain, InsecureSkipVerify: true}); err == nil {
		t.Error("got a handshake without acme-tls/1, want refusal")
	}
	if _, err := ChallengeCert("*.example.test", "k"); !errors.Is(err, core.ErrMalformed) {
		t.Errorf("got %v for a wildcard, want ErrMalformed", err)
	}
}

func checkChallengeCert(t *testing.T, c *x509.Certificate) {
	t.Helper()
	if len(c.DNSNames) != 1 || c.DNSNames[0] != ch.Domain {
		t.Errorf("got SANs %v, want [%s]", c.DNSNames, ch.Domain)
	}
	want := sha256.Sum256([]byte(ch.KeyAuth))
	for _, e := range c.Extensions {
		if e.Id.Equal(idPeACMEIdentifier) {
			var got []byte
			if _, err := asn1.Unmarshal(e.Value, &got); err != nil || string(got) != string(want[:]) || !e.Critical {
				t.Errorf("got acmeIdentifier %x critical=%v (%v), want %x critical", got, e.Critical, err, want)
			}
			return
		}
	}
	t.Error("got no acmeIdentifier extension, want one")
}

func startDNS(t *testing.T) *testdns.Server {
	t.Helper()
	secret := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	return testdns.StartTest(t, testdns.Config{TSIG: map[string]string{"mason-key.": secret}})
}

func TestRFC2136(t *testing.T) {
	secret := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	wrong := base64.StdEncoding.EncodeToString([]byte("not the right secret at all....."))
	value := acme.DNS01Value(ch.KeyAuth)
	tests := []struct {
		name    string
		key     string
		secret  string
		alias   string
		domain  string
		wantAt  string
		wantErr bool
	}{
		{"signed update", "mason-key", secret, "", "www.example.test", "_acme-challenge.www.example.test.", false},
		{"wildcard", "mason-key", secret, "", "*.example.test", "_acme-challenge.example.test.", false},
		{"alias zone", "mason-key", secret, "validation.test", "www.example.test", "_acme-challenge.validation.test.", false},
		{"unsigned refused", "", "", "", "www.example.test", "", true},
		{"wrong secret refused", "mason-key", wrong, "", "www.example.test", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := startDNS(t)
			r := &RFC2136{Server: d.Addr(), TSIGName: tt.key, TSIGSecret: tt.secret, Alias: tt.alias, Timeout: 3 * time.Second}
			c := ch
			c.Domain = tt.domain
			ctx := context.Background()
			err := r.Present(ctx, c)
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "refused") {
					t.Errorf("got %v, want a refusal", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := d.TXT(tt.wantAt); len(got) != 1 || got[0] != value {
				t.Errorf("got TXT %v at %s, want [%s]", got, tt.wantAt, value)
			}
			if err := r.Wait(ctx, c); err != nil {
				t.Errorf("wait: %v", err)
			}
			if err := r.CleanUp(ctx, c); err != nil {
				t.Fatal(err)
			}
			if got := d.TXT(tt.wantAt); len(got) != 0 {
				t.Errorf("got TXT %v after cleanup, want none", got)
			}
		})
	}
}

func TestHook(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "log")
	script := filepath.Join(dir, "hook.sh")
	body := "#!/bin/sh\necho \"$1 $2 $3\" >> " + log + "\n[ \"$2\" = _acme-challenge.fail.test. ] && { echo 'no such zone'; exit 3; }\nexit 0\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	h := &Hook{Path: script}
	ctx := context.Background()
	if err := h.Present(ctx, ch); err != nil {
		t.Fatal(err)
	}
	if err := h.CleanUp(ctx, ch); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(log)
	v := acme.DNS01Value(ch.KeyAuth)
	want := "add _acme-challenge.www.example.test. " + v + "\nremove _acme-challenge.www.example.test. " + v + "\n"
	if string(got) != want {
		t.Errorf("got hook calls %q, want %q", got, want)
	}
	err := h.Present(ctx, Challenge{Domain: "fail.test", KeyAuth: "k"})
	if err == nil || !strings.Contains(err.Error(), "no such zone") {
		t.Errorf("got %v, want the script's failure with its output", err)
	}
}
