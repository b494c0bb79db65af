package main

import (
	"crypto"
	"crypto/x509"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/client/store"
	"github.com/quarry-ca/quarry/test/harness"
)

// checkLineage verifies live/<name>: the chain verifies to Quarry's roots
// for every name, and privkey.pem (0600) is the certificate's key.
func checkLineage(t *testing.T, r *runner, name string, names []string) *x509.Certificate {
	t.Helper()
	live := filepath.Join(r.dir, "live", name)
	certs := harness.ReadCerts(t, filepath.Join(live, "fullchain.pem"))
	if len(certs) < 2 {
		t.Fatalf("got %d certificates in fullchain, want leaf and issuer", len(certs))
	}
	rootsPEM, _ := os.ReadFile(r.q.roots)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(rootsPEM)
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	for _, n := range names {
		if _, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: n}); err != nil {
			t.Errorf("got %v verifying for %s, want a valid chain", err, n)
		}
	}
	keyPEM, err := os.ReadFile(filepath.Join(live, "privkey.pem"))
	if err != nil {
		t.Fatal(err)
	}
	key, err := decodeKey(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(certs[0].PublicKey) {
		t.Error("got a privkey.pem that does not match cert.pem, want its key")
	}
	if fi, err := os.Stat(filepath.Join(live, "privkey.pem")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("got privkey mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	return certs[0]
}

func writeScript(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hook.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCertonlyAuthenticators(t *testing.T) {
	q := startQuarry(t)
	webroot := t.TempDir()
	hookLog := filepath.Join(t.TempDir(), "hook.log")
	hook := dnsHookScript(t, q, hookLog)
	q.dns.SetCNAME("_acme-challenge.alias.quarry.test", "_acme-challenge.validation.quarry.test")
	q.dns.SetCNAME("_acme-challenge.hook.quarry.test", "_acme-challenge.validation.quarry.test")
	tests := []struct {
		name    string
		names   []string
		args    []string
		setup   func(t *testing.T) func()
		lineage string
	}{
		{"webroot", []string{"web.quarry.test", "www.web.quarry.test"}, []string{"--webroot", webroot},
			func(t *testing.T) func() { return q.serveWebroot(t, webroot) }, "web.quarry.test"},
		{"standalone", []string{"standalone.quarry.test"}, []string{"--standalone", "--http-port", itoa(q.httpPort)}, nil, "standalone.quarry.test"},
		{"tls-alpn rsa", []string{"alpn.quarry.test"}, []string{"--tls-alpn", "--tls-port", itoa(q.tlsPort), "--key-type", "rsa", "--rsa-key-size", "2048"}, nil, "alpn.quarry.test"},
		{"dns rfc2136 wildcard", []string{"*.wild.quarry.test", "wild.quarry.test"},
			[]string{"--dns", "rfc2136", "--dns-server", q.dns.Addr(), "--tsig-key-name", tsigName, "--tsig-secret", tsigSecret, "--cert-name", "wild"}, nil, "wild"},
		{"dns rfc2136 challenge alias", []string{"alias.quarry.test"},
			[]string{"--dns", "rfc2136", "--dns-server", q.dns.Addr(), "--tsig-key-name", tsigName, "--tsig-secret", tsigSecret,
				"--challenge-alias", "validation.quarry.test", "--elliptic-curve", "secp384r1"}, nil, "alias.quarry.test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.setup != nil {
				defer tt.setup(t)()
			}
			r := newRunner(t, q)
			args := []string{"certonly", "--agree-tos", "--email", "admin@quarry.test"}
			for _, n := range tt.names {
				args = append(args, "-d", n)
			}
			code, stdout, stderr := r.run(append(args, tt.args...)...)
			if code != exitOK {
				t.Fatalf("got exit %d (%s), want 0; output:\n%s", code, stderr, stdout)
			}
			for _, want := range []string{"Account registered", "Order:", "valid", "Saved:"} {
				if !strings.Contains(stdout, want) {
					t.Errorf("got output without %q:\n%s", want, stdout)
				}
			}
			checkLineage(t, r, tt.lineage, tt.names)
			if left := q.dns.TXT("_acme-challenge.validation.quarry.test"); len(left) != 0 {
				t.Errorf("got TXT %v left after cleanup, want none", left)
			}
		})
	}
	t.Run("dns hook with alias", func(t *testing.T) {
		r := newRunner(t, q)
		code, stdout, stderr := r.run("certonly", "--agree-tos", "-d", "hook.quarry.test", "--dns-hook", hook,
			"--challenge-alias", "validation.quarry.test", "--dns-resolver", q.dns.Addr(), "--json")
		if code != exitOK {
			t.Fatalf("got exit %d (%s), want 0; output:\n%s", code, stderr, stdout)
		}
		var res saved
		if err := json.Unmarshal([]byte(stdout), &res); err != nil || res.Name != "hook.quarry.test" || res.Version != 1 {
			t.Errorf("got JSON %s (%v), want the saved lineage", stdout, err)
		}
		checkLineage(t, r, "hook.quarry.test", []string{"hook.quarry.test"})
		calls, _ := os.ReadFile(hookLog)
		if !strings.Contains(string(calls), "add _acme-challenge.validation.quarry.test. ") ||
			!strings.Contains(string(calls), "remove _acme-challenge.validation.quarry.test. ") {
			t.Errorf("got hook calls %q, want add and remove at the alias", calls)
		}
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestRenewAndRevoke(t *testing.T) {
	q := startQuarry(t)
	webroot := t.TempDir()
	defer q.serveWebroot(t, webroot)()
	r := newRunner(t, q)
	hookOut := filepath.Join(t.TempDir(), "deployed")
	code, out, errOut := r.run("certonly", "--agree-tos", "-d", "renew.quarry.test", "--webroot", webroot,
		"--deploy-hook", "echo \"$RENEWED_LINEAGE|$RENEWED_DOMAINS\" > "+hookOut)
	if code != exitOK {
		t.Fatalf("certonly: exit %d: %s %s", code, out, errOut)
	}
	first := checkLineage(t, r, "renew.quarry.test", []string{"renew.quarry.test"})

	code, out, _ = r.run("renew", "--json")
	var res []renewResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != exitOK || len(res) != 1 || res[0].Renewed {
		t.Fatalf("got exit %d %+v (%v), want one certificate not due", code, res, err)
	}

	r.now = first.NotAfter.Add(-24 * time.Hour) // well past two thirds and any ARI window
	code, out, errOut = r.run("renew")
	if code != exitOK || !strings.Contains(out, "renewing") {
		t.Fatalf("got exit %d %q %q when due, want a renewal", code, out, errOut)
	}
	second := checkLineage(t, r, "renew.quarry.test", []string{"renew.quarry.test"})
	if second.SerialNumber.Cmp(first.SerialNumber) == 0 {
		t.Error("got the same serial after renewal, want a new certificate")
	}
	got, _ := os.ReadFile(hookOut)
	want := filepath.Join(r.dir, "live", "renew.quarry.test") + "|renew.quarry.test\n"
	if string(got) != want {
		t.Errorf("got deploy hook env %q, want %q", got, want)
	}

	r.now = time.Time{}
	code, out, errOut = r.run("renew", "--cert-name", "renew.quarry.test", "--force-renewal")
	if code != exitOK {
		t.Fatalf("forced renew: exit %d %s %s", code, out, errOut)
	}
	target, _ := os.Readlink(filepath.Join(r.dir, "live", "renew.quarry.test", "cert.pem"))
	if !strings.HasSuffix(target, "cert3.pem") {
		t.Errorf("got live cert -> %s, want version 3", target)
	}

	code, out, errOut = r.run("revoke", "--cert-name", "renew.quarry.test")
	if code != exitOK || !strings.Contains(out, "Revoked") {
		t.Fatalf("got revoke exit %d %q %q, want success", code, out, errOut)
	}
	if code, _, errOut = r.run("revoke", "--cert-name", "renew.quarry.test"); code != exitFailed || !strings.Contains(errOut, "mason: ") {
		t.Errorf("got exit %d %q revoking twice, want 1 and one sentence", code, errOut)
	}

	code, out, _ = r.run("certificates", "--json")
	var list []certInfo
	if err := json.Unmarshal([]byte(out), &list); err != nil || code != exitOK || len(list) != 1 || list[0].Version != 3 || list[0].DaysLeft < 1 {
		t.Errorf("got certificates %s (%v), want one lineage at version 3", out, err)
	}
}

func TestRenewBackoff(t *testing.T) {
	q := startQuarry(t)
	marker := filepath.Join(t.TempDir(), "fail")
	// The hook publishes through the test DNS's own API-less path: it
	// fails while the marker exists, so renewals fail without touching DNS.
	hook := writeScript(t, "[ -e "+marker+" ] && { echo 'provider API down'; exit 1; }\nexit 0\n")
	r := newRunner(t, q)
	code, out, errOut := r.run("certonly", "--agree-tos", "-d", "backoff.quarry.test",
		"--dns", "rfc2136", "--dns-server", q.dns.Addr(), "--tsig-key-name", tsigName, "--tsig-secret", tsigSecret)
	if code != exitOK {
		t.Fatalf("certonly: exit %d %s %s", code, out, errOut)
	}
	// Switch the lineage to the failing hook, with a new name so the
	// server cannot reuse the authorization it already has.
	st, err := store.Open(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	conf, err := st.LoadRenewal("backoff.quarry.test")
	if err != nil {
		t.Fatal(err)
	}
	conf.Authenticator, conf.DNSHook = store.AuthDNSHook, hook
	conf.Domains = append(conf.Domains, "new.backoff.quarry.test")
	if err := st.SaveRenewal("backoff.quarry.test", conf); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(marker, nil, 0o644)

	leafPEM, _ := os.ReadFile(filepath.Join(r.dir, "live", "backoff.quarry.test", "cert.pem"))
	leaf, _ := parseCert(leafPEM)
	r.now = leaf.NotAfter.Add(-24 * time.Hour)
	code, out, errOut = r.run("renew")
	if code != exitPartial || !strings.Contains(errOut, "provider API down") {
		t.Fatalf("got exit %d %q %q, want 4 naming the hook's failure", code, errOut, out)
	}
	r.now = r.now.Add(30 * time.Second)
	code, out, _ = r.run("renew")
	if code != exitOK || !strings.Contains(out, "backing off") {
		t.Errorf("got exit %d %q 30s after a failure, want back-off", code, out)
	}
	r.now = r.now.Add(time.Minute)
	if code, _, _ = r.run("renew"); code != exitPartial {
		t.Errorf("got exit %d after the 1 min back-off, want another attempt (4)", code)
	}
	state, _ := os.ReadFile(filepath.Join(r.dir, "renewal", "backoff.quarry.test.state"))
	if !strings.Contains(string(state), "failures: 2") {
		t.Errorf("got state %q, want 2 failures persisted", state)
	}
	if code, _, _ = r.run("renew", "--force-renewal"); code != exitPartial {
		t.Errorf("got exit %d forcing with the hook still failing, want 4", code)
	}
}

func TestBadInput(t *testing.T) {
	q := startQuarry(t)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"unknown flag", []string{"certonly", "--bogus"}, exitUsage, "not defined"},
		{"no authenticator", []string{"certonly", "-d", "x.quarry.test"}, exitUsage, "pick an authenticator"},
		{"two authenticators", []string{"certonly", "-d", "x.quarry.test", "--standalone", "--tls-alpn"}, exitUsage, "pick one"},
		{"no account", []string{"certonly", "-d", "x.quarry.test", "--standalone"}, exitFailed, "--agree-tos"},
		{"webroot not writable", []string{"certonly", "--agree-tos", "-d", "x.quarry.test", "--webroot", "/proc/nope"}, exitFailed, "not writable"},
		{"dns update refused", []string{"certonly", "--agree-tos", "-d", "x.quarry.test", "--dns", "rfc2136",
			"--dns-server", q.dns.Addr(), "--tsig-key-name", "wrong-key.", "--tsig-secret", tsigSecret}, exitFailed, "DNS"},
		{"unknown command", []string{"frobnicate"}, exitUsage, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRunner(t, q)
			code, _, errOut := r.run(tt.args...)
			if code != tt.wantCode || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("got exit %d %q, want %d with %q", code, errOut, tt.wantCode, tt.wantErr)
			}
			if strings.Count(strings.TrimSpace(errOut), "\n") > 1 {
				t.Errorf("got %d lines of error, want one sentence:\n%s", strings.Count(errOut, "\n"), errOut)
			}
			live, _ := filepath.Glob(filepath.Join(r.dir, "live", "*"))
			conf, _ := filepath.Glob(filepath.Join(r.dir, "renewal", "*"))
			if len(live)+len(conf) != 0 {
				t.Errorf("got %v %v written after a failure, want nothing", live, conf)
			}
		})
	}
}

func TestLockHeld(t *testing.T) {
	q := startQuarry(t)
	r := newRunner(t, q)
	if code, _, _ := r.run("certificates"); code != exitOK {
		t.Fatal("certificates failed on an empty directory")
	}
	st, err := openStore(env{}, common{configDir: r.dir})
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := st.Lock(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	var out, errOut strings.Builder
	e := env{stdout: &out, stderr: &errOut, getenv: os.Getenv, now: time.Now, lockWait: 300 * time.Millisecond}
	code := run(t.Context(), e, []string{"renew", "--config-dir", r.dir})
	if code != exitLocked || !strings.Contains(errOut.String(), "lock") {
		t.Errorf("got exit %d %q with the lock held, want 3", code, errOut.String())
	}
}
