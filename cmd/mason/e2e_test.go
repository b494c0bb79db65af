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

	"github.com/quarry-ca/quarry/client/renew"
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
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != exitOK || len(res) != 1 || res[0].Renewed ||
		res[0].Reason != renew.ReasonARI || res[0].Why != "inside the CA's suggested ARI window" {
		t.Fatalf("got exit %d %+v (%v), want one certificate not due, inside the ARI window", code, res, err)
	}
	// Quarry offers ARI, so the plan is a moment in its suggested window,
	// which `mason certificates` shows from the state renew kept.
	nextAt, _ := time.Parse(time.RFC3339, res[0].NextAt)
	planned := "renew.quarry.test: not due; renewal planned at " + humanTime(nextAt) + " (inside the CA's suggested ARI window)\n"
	if code, out, _ = r.run("renew"); code != exitOK || out != planned {
		t.Errorf("got renew exit %d %q, want %q", code, out, planned)
	}
	code, out, _ = r.run("certificates", "--json")
	var shown []certInfo
	if err := json.Unmarshal([]byte(out), &shown); err != nil || code != exitOK || len(shown) != 1 {
		t.Fatalf("got certificates exit %d %s (%v), want one lineage", code, out, err)
	}
	if c := shown[0]; c.ARIWindow == nil || c.RenewalRule != renew.ReasonARI || !c.RenewalDue.Truncate(time.Second).Equal(nextAt) ||
		c.RenewalDue.Before(c.ARIWindow.Start) || c.RenewalDue.After(c.ARIWindow.End) || c.Failures != 0 || c.BackoffUntil != nil {
		t.Errorf("got %+v, want renewal due at %v inside the stored ARI window, no failures", c.renewalPlan, nextAt)
	}
	code, out, _ = r.run("certificates")
	for _, want := range []string{"renewal:    due at " + humanTime(nextAt) + ", inside the CA's suggested ARI window", "ARI window: "} {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("got certificates exit %d %q, want %q", code, out, want)
		}
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
	code, _, errOut = r.run("revoke", "--cert-name", "renew.quarry.test")
	if code != exitFailed || !strings.HasPrefix(errOut, "mason: the CA says ") || !strings.HasSuffix(errOut, "already revoked; nothing to do.\n") ||
		strings.Contains(errOut, "urn:") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("got exit %d %q revoking twice, want 1 and one sentence saying it is already revoked", code, errOut)
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
	if want := "backoff.quarry.test: not retried yet; backing off after 1 failure until " + humanTime(r.now.Add(30*time.Second)); code != exitOK || !strings.Contains(out, want) {
		t.Errorf("got exit %d %q 30s after a failure, want %q", code, out, want)
	}
	r.now = r.now.Add(time.Minute)
	if code, _, _ = r.run("renew"); code != exitPartial {
		t.Errorf("got exit %d after the 1 min back-off, want another attempt (4)", code)
	}
	state, _ := os.ReadFile(filepath.Join(r.dir, "renewal", "backoff.quarry.test.state"))
	if !strings.Contains(string(state), "failures: 2") {
		t.Errorf("got state %q, want 2 failures persisted", state)
	}
	code, out, _ = r.run("certificates", "--json")
	var shown []certInfo
	if err := json.Unmarshal([]byte(out), &shown); err != nil || code != exitOK || len(shown) != 1 {
		t.Fatalf("got certificates exit %d %s (%v), want one lineage", code, out, err)
	}
	wantUntil := r.now.Add(10 * time.Minute).UTC()
	if c := shown[0]; c.Failures != 2 || c.LastFailure == nil || !c.LastFailure.Equal(r.now) || !strings.Contains(c.LastError, "provider API down") ||
		c.BackoffUntil == nil || !c.BackoffUntil.Equal(wantUntil) || c.RenewalDue.After(r.now) {
		t.Errorf("got %+v, want 2 failures, the last at %v naming the hook, back-off until %v, renewal due", c.renewalPlan, r.now, wantUntil)
	}
	code, out, _ = r.run("certificates")
	for _, want := range []string{"renewal:    due now", "back-off:   after 2 failures, next attempt at " + humanTime(wantUntil), "last error: " + humanTime(r.now) + " (2 failures in a row): ", "provider API down"} {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("got certificates exit %d %q, want %q", code, out, want)
		}
	}
	if code, _, _ = r.run("renew", "--force-renewal"); code != exitPartial {
		t.Errorf("got exit %d forcing with the hook still failing, want 4", code)
	}
	// A certonly that replaces the failing lineage starts its renewal
	// state afresh: the failures were the old certificate's.
	code, out, errOut = r.run("certonly", "-d", "backoff.quarry.test", "-d", "new.backoff.quarry.test", "--cert-name", "backoff.quarry.test",
		"--dns", "rfc2136", "--dns-server", q.dns.Addr(), "--tsig-key-name", tsigName, "--tsig-secret", tsigSecret)
	if code != exitOK {
		t.Fatalf("certonly over the failing lineage: exit %d %s %s", code, out, errOut)
	}
	code, out, _ = r.run("certificates", "--json")
	shown = nil // a fresh decode: omitted fields must not keep old values
	if err := json.Unmarshal([]byte(out), &shown); err != nil || code != exitOK || len(shown) != 1 ||
		shown[0].Failures != 0 || shown[0].BackoffUntil != nil || shown[0].LastError != "" || shown[0].Version != 2 {
		t.Errorf("got certificates %s (%v) after certonly, want version 2 with no failures", out, err)
	}
}

func TestBadInput(t *testing.T) {
	q := startQuarry(t)
	unserved := t.TempDir() // a webroot no web server serves
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"unknown flag", []string{"certonly", "--bogus"}, exitUsage, "mason: flag provided but not defined: -bogus; run 'mason certonly -h' for its flags."},
		{"stray argument", []string{"certificates", "stray"}, exitUsage, `mason: unexpected argument "stray"; flags start with --.`},
		{"no authenticator", []string{"certonly", "-d", "x.quarry.test"}, exitUsage, "pick an authenticator"},
		{"two authenticators", []string{"certonly", "-d", "x.quarry.test", "--standalone", "--tls-alpn"}, exitUsage, "pick one"},
		{"no account", []string{"certonly", "-d", "x.quarry.test", "--standalone"}, exitFailed, "--agree-tos"},
		{"webroot not writable", []string{"certonly", "--agree-tos", "-d", "x.quarry.test", "--webroot", "/proc/nope"}, exitFailed,
			"webroot /proc/nope is not writable (no such file or directory); check that it is the web server's document root"},
		{"dns update refused", []string{"certonly", "--agree-tos", "-d", "x.quarry.test", "--dns", "rfc2136",
			"--dns-server", q.dns.Addr(), "--tsig-key-name", "wrong-key.", "--tsig-secret", tsigSecret}, exitFailed, "refused the update of _acme-challenge.x.quarry.test."},
		{"dns server unreachable", []string{"certonly", "--agree-tos", "-d", "x.quarry.test", "--dns", "rfc2136",
			"--dns-server", "127.0.0.1:1", "--tsig-key-name", tsigName, "--tsig-secret", tsigSecret}, exitFailed, "check --dns-server"},
		{"validation refused", []string{"certonly", "--agree-tos", "-d", "x.quarry.test", "--webroot", unserved}, exitFailed,
			"mason: the CA could not validate x.quarry.test: "},
		{"server unreachable", []string{"certonly", "--agree-tos", "-d", "x.quarry.test", "--standalone", "--server", "https://127.0.0.1:1/directory"}, exitFailed,
			"mason: could not reach the ACME server at https://127.0.0.1:1/directory (connection refused); check --server"},
		{"unknown command", []string{"frobnicate"}, exitUsage, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRunner(t, q)
			code, _, errOut := r.run(tt.args...)
			if code != tt.wantCode || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("got exit %d %q, want %d with %q", code, errOut, tt.wantCode, tt.wantErr)
			}
			if strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "mason: ") || !strings.HasSuffix(errOut, ".\n") {
				t.Errorf("got error %q, want one line: mason: and one sentence", errOut)
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

// TestRenewFailureLeavesLineage checks the bad-input cases during renew: a
// webroot that is no longer writable and a DNS update the server refuses
// each fail their lineage in one sentence, exit 4, and leave the live
// certificate, the archive and the renewal config as they were, while a
// healthy lineage beside them renews.
func TestRenewFailureLeavesLineage(t *testing.T) {
	q := startQuarry(t)
	webroot := t.TempDir()
	defer q.serveWebroot(t, webroot)()
	r := newRunner(t, q)
	for _, args := range [][]string{
		{"-d", "ok.fail.quarry.test", "--webroot", webroot},
		{"-d", "web.fail.quarry.test", "--webroot", webroot},
		{"-d", "dns.fail.quarry.test", "--dns", "rfc2136", "--dns-server", q.dns.Addr(), "--tsig-key-name", tsigName, "--tsig-secret", tsigSecret},
	} {
		if code, out, errOut := r.run(append([]string{"certonly", "--agree-tos"}, args...)...); code != exitOK {
			t.Fatalf("certonly %v: exit %d %s %s", args, code, out, errOut)
		}
	}
	st, err := store.Open(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	// Break each lineage's authenticator, adding a name so that the
	// server cannot reuse an authorization it already holds.
	breakConf := func(name string, mutate func(*store.Renewal)) []byte {
		conf, err := st.LoadRenewal(name)
		if err != nil {
			t.Fatal(err)
		}
		mutate(&conf)
		conf.Domains = append(conf.Domains, "new."+name)
		if err := st.SaveRenewal(name, conf); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(filepath.Join(r.dir, "renewal", name+".conf"))
		return b
	}
	// A webroot under a regular file: not writable even for root.
	notDir := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notDir, nil, 0o644)
	readOnly := filepath.Join(notDir, "www")
	confs := map[string][]byte{
		"web.fail.quarry.test": breakConf("web.fail.quarry.test", func(c *store.Renewal) { c.Webroot = readOnly }),
		"dns.fail.quarry.test": breakConf("dns.fail.quarry.test", func(c *store.Renewal) { c.TSIGKeyName = "wrong-key." }),
	}
	code, _, errOut := r.run("renew", "--force-renewal")
	if code != exitPartial {
		t.Errorf("got exit %d, want 4", code)
	}
	lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
	wants := []string{
		"mason: dns.fail.quarry.test: preparing dns-01 for ", // then the server's refusal
		"mason: web.fail.quarry.test: preparing http-01 for new.web.fail.quarry.test: webroot " + readOnly + " is not writable",
	}
	if len(lines) != len(wants) {
		t.Fatalf("got stderr %q, want one line per lineage", errOut)
	}
	for i, want := range wants {
		if !strings.HasPrefix(lines[i], want) || !strings.HasSuffix(lines[i], ".") {
			t.Errorf("got %q, want one sentence starting %q", lines[i], want)
		}
	}
	if !strings.Contains(lines[0], "refused the update") {
		t.Errorf("got %q, want it to say the DNS server refused the update", lines[0])
	}
	// The healthy lineage renews whatever the others do.
	if target, _ := os.Readlink(filepath.Join(r.dir, "live", "ok.fail.quarry.test", "cert.pem")); !strings.HasSuffix(target, "cert2.pem") {
		t.Errorf("got the healthy lineage's live cert -> %s, want version 2", target)
	}
	for name, conf := range confs {
		target, _ := os.Readlink(filepath.Join(r.dir, "live", name, "cert.pem"))
		archived, _ := filepath.Glob(filepath.Join(r.dir, "archive", name, "*"))
		if !strings.HasSuffix(target, "cert1.pem") || len(archived) != 4 {
			t.Errorf("%s: got live cert -> %s and archive %v, want version 1 alone", name, target, archived)
		}
		if got, _ := os.ReadFile(filepath.Join(r.dir, "renewal", name+".conf")); string(got) != string(conf) {
			t.Errorf("%s: got the renewal config changed by a failed renewal, want it as it was", name)
		}
		checkLineage(t, r, name, []string{name})
	}
}
