package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quarry-ca/quarry/client"
	"github.com/quarry-ca/quarry/client/store"
)

// serveByHost serves a different document root per Host, on the VA's
// http port, as one web server with several virtual hosts.
func (q *quarry) serveByHost(t *testing.T, roots map[string]string) func() {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:"+itoa(q.httpPort))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.Host)
		if host == "" {
			host = r.Host
		}
		root, ok := roots[host]
		if !ok {
			http.NotFound(w, r)
			return
		}
		http.FileServer(http.Dir(root)).ServeHTTP(w, r)
	})}
	go srv.Serve(ln)
	return func() { srv.Close() }
}

func TestWebrootMap(t *testing.T) {
	q := startQuarry(t)
	a, b := t.TempDir(), t.TempDir()
	defer q.serveByHost(t, map[string]string{"a1.quarry.test": a, "a2.quarry.test": a, "b1.quarry.test": b})()
	r := newRunner(t, q)
	// a2 comes before the first -w, so it takes the first webroot, as in certbot.
	code, out, errOut := r.run("certonly", "--agree-tos", "-d", "a2.quarry.test", "-w", a, "-d", "a1.quarry.test", "-w", b, "-d", "b1.quarry.test")
	if code != exitOK {
		t.Fatalf("got exit %d %s %s, want 0", code, out, errOut)
	}
	checkLineage(t, r, "a2.quarry.test", []string{"a1.quarry.test", "a2.quarry.test", "b1.quarry.test"})
	st, _ := store.Open(r.dir)
	conf, err := st.LoadRenewal("a2.quarry.test")
	want := map[string]string{"a1.quarry.test": a, "a2.quarry.test": a, "b1.quarry.test": b}
	if err != nil || len(conf.WebrootMap) != 3 {
		t.Fatalf("got %+v (%v), want a webroot map", conf, err)
	}
	for n, root := range want {
		if conf.WebrootMap[n] != root {
			t.Errorf("got webroot %q for %s, want %q", conf.WebrootMap[n], n, root)
		}
	}
	if code, out, errOut = r.run("renew", "--force-renewal"); code != exitOK {
		t.Errorf("got renew exit %d %s %s with the saved map, want 0", code, out, errOut)
	}
}

func TestCertonlyCSR(t *testing.T) {
	q := startQuarry(t)
	r := newRunner(t, q)
	dir := t.TempDir()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{DNSNames: []string{"csr.quarry.test", "www.csr.quarry.test"}}, key)
	if err != nil {
		t.Fatal(err)
	}
	csrPath := filepath.Join(dir, "req.pem")
	os.WriteFile(csrPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), 0o644)
	paths := []string{"--cert-path", filepath.Join(dir, "c.pem"), "--chain-path", filepath.Join(dir, "ch.pem"), "--fullchain-path", filepath.Join(dir, "fc.pem")}
	args := append([]string{"certonly", "--agree-tos", "--csr", csrPath, "--standalone", "--http-port", itoa(q.httpPort)}, paths...)
	if code, out, errOut := r.run(args...); code != exitOK {
		t.Fatalf("got exit %d %s %s, want 0", code, out, errOut)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "c.pem"))
	leaf, err := parseCert(b)
	if err != nil || !samePublic(key.Public(), leaf.PublicKey) || len(leaf.DNSNames) != 2 {
		t.Fatalf("got leaf %v (%v), want the CSR's key and two names", leaf, err)
	}
	if live, _ := filepath.Glob(filepath.Join(r.dir, "live", "*")); len(live) != 0 {
		t.Errorf("got lineages %v with --csr, want none", live)
	}
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"outputs exist", append([]string{"certonly", "--csr", csrPath, "--standalone"}, paths...), "exists"},
		{"names differ", []string{"certonly", "--csr", csrPath, "-d", "other.quarry.test", "--standalone"}, "differ"},
		{"not a csr", []string{"certonly", "--csr", filepath.Join(dir, "c.pem"), "--standalone"}, "not a certificate request"},
		{"reuse key", []string{"certonly", "--csr", csrPath, "--standalone", "--reuse-key", "--cert-path", filepath.Join(dir, "new.pem")}, "--reuse-key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := r.run(tt.args...)
			if code != exitUsage || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("got exit %d %q, want 2 with %q", code, errOut, tt.wantErr)
			}
		})
	}
}

func TestReuseKeyAndDryRun(t *testing.T) {
	q := startQuarry(t)
	r := newRunner(t, q)
	code, out, errOut := r.run("certonly", "--agree-tos", "-d", "dry.quarry.test", "--standalone", "--http-port", itoa(q.httpPort), "--dry-run")
	if code != exitOK || !strings.Contains(out, "nothing was saved") {
		t.Fatalf("got exit %d %q %q for a dry run, want 0", code, out, errOut)
	}
	live, _ := filepath.Glob(filepath.Join(r.dir, "live", "*"))
	conf, _ := filepath.Glob(filepath.Join(r.dir, "renewal", "*"))
	if len(live)+len(conf) != 0 {
		t.Errorf("got %v %v after a dry run, want nothing saved", live, conf)
	}

	if code, out, errOut = r.run("certonly", "-d", "reuse.quarry.test", "--standalone", "--http-port", itoa(q.httpPort), "--reuse-key"); code != exitOK {
		t.Fatalf("certonly --reuse-key: exit %d %s %s", code, out, errOut)
	}
	first := checkLineage(t, r, "reuse.quarry.test", []string{"reuse.quarry.test"})
	if code, out, errOut = r.run("renew", "--force-renewal", "--dry-run"); code != exitOK || !strings.Contains(out, "dry run succeeded") {
		t.Fatalf("got renew --dry-run exit %d %q %q, want success", code, out, errOut)
	}
	if target, _ := os.Readlink(filepath.Join(r.dir, "live", "reuse.quarry.test", "cert.pem")); !strings.HasSuffix(target, "cert1.pem") {
		t.Errorf("got live cert -> %s after a dry run, want version 1 still", target)
	}
	if code, out, errOut = r.run("renew", "--force-renewal"); code != exitOK {
		t.Fatalf("renew: exit %d %s %s", code, out, errOut)
	}
	second := checkLineage(t, r, "reuse.quarry.test", []string{"reuse.quarry.test"})
	if second.SerialNumber.Cmp(first.SerialNumber) == 0 || !samePublic(second.PublicKey, first.PublicKey) {
		t.Error("got a different key (or the same certificate) after renewal, want a new certificate on the same key")
	}
}

func TestManualHooks(t *testing.T) {
	q := startQuarry(t)
	webroot := t.TempDir()
	defer q.serveWebroot(t, webroot)()
	log := filepath.Join(t.TempDir(), "hooks.log")
	challDir := filepath.Join(webroot, ".well-known", "acme-challenge")
	os.MkdirAll(challDir, 0o755)
	auth := writeScript(t, `printf '%s\n' "$CERTBOT_VALIDATION" > `+challDir+`/"$CERTBOT_TOKEN"
echo "auth $CERTBOT_DOMAIN $CERTBOT_REMAINING_CHALLENGES $CERTBOT_ALL_DOMAINS" >> `+log+"\n")
	cleanup := writeScript(t, `rm -f `+challDir+`/"$CERTBOT_TOKEN"; echo "cleanup $CERTBOT_DOMAIN" >> `+log+"\n")
	r := newRunner(t, q)
	code, out, errOut := r.run("certonly", "--agree-tos", "-d", "m1.quarry.test", "-d", "m2.quarry.test", "--manual",
		"--manual-auth-hook", auth, "--manual-cleanup-hook", cleanup)
	if code != exitOK {
		t.Fatalf("got exit %d %s %s, want 0", code, out, errOut)
	}
	checkLineage(t, r, "m1.quarry.test", []string{"m1.quarry.test", "m2.quarry.test"})
	got, _ := os.ReadFile(log)
	lines := strings.Split(strings.TrimSpace(string(got)), "\n")
	if len(lines) != 4 || !strings.HasSuffix(lines[0], " 1 m1.quarry.test,m2.quarry.test") || !strings.HasSuffix(lines[2], " 0 m1.quarry.test,m2.quarry.test") {
		t.Errorf("got hook calls %q, want auth/cleanup twice with 1 then 0 remaining", lines)
	}
	if left, _ := os.ReadDir(challDir); len(left) != 0 {
		t.Errorf("got %d files left in the webroot, want the cleanup hook to remove them", len(left))
	}

	code, _, errOut = r.run("certonly", "-d", "m3.quarry.test", "--manual")
	if code != exitFailed || !strings.Contains(errOut, "--manual-auth-hook") {
		t.Errorf("got exit %d %q for --manual with no terminal, want 1 naming --manual-auth-hook", code, errOut)
	}
}

func TestRenewPrePostHooks(t *testing.T) {
	q := startQuarry(t)
	r := newRunner(t, q)
	for _, n := range []string{"h1.quarry.test", "h2.quarry.test"} {
		if code, out, errOut := r.run("certonly", "--agree-tos", "-d", n, "--standalone", "--http-port", itoa(q.httpPort)); code != exitOK {
			t.Fatalf("certonly: exit %d %s %s", code, out, errOut)
		}
	}
	log := filepath.Join(t.TempDir(), "hooks.log")
	hooks := []string{"--pre-hook", "echo pre >> " + log, "--post-hook", "echo post >> " + log}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"nothing due", nil, ""},
		{"both due", []string{"--force-renewal"}, "pre\npost\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(log)
			code, out, errOut := r.run(append(append([]string{"renew"}, tt.args...), hooks...)...)
			if code != exitOK {
				t.Fatalf("got exit %d %s %s, want 0", code, out, errOut)
			}
			got, _ := os.ReadFile(log)
			if string(got) != tt.want {
				t.Errorf("got hook runs %q, want %q", got, tt.want)
			}
		})
	}
	code, _, errOut := r.run("renew", "--force-renewal", "--pre-hook", "echo 'port 80 busy'; exit 1", "--quiet")
	if code != exitPartial || !strings.Contains(errOut, "port 80 busy") {
		t.Errorf("got exit %d %q with a failing pre-hook, want 4 naming it", code, errOut)
	}
}

func TestCheckProfile(t *testing.T) {
	tests := []struct {
		name    string
		meta    string
		profile string
		wantErr string
	}{
		{"none asked", `{}`, "", ""},
		{"offered", `{"profiles":{"classic":"90 days","shortlived":"6 days"}}`, "shortlived", ""},
		{"not offered", `{"profiles":{"classic":"90 days","shortlived":"6 days"}}`, "tiny", "pick one of classic, shortlived"},
		{"no profiles", `{}`, "classic", "offers no certificate profiles"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var srv *httptest.Server
			srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Write([]byte(`{"newNonce":"` + srv.URL + `/n","newAccount":"` + srv.URL + `/a","newOrder":"` + srv.URL + `/o","meta":` + tt.meta + `}`))
			}))
			defer srv.Close()
			key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			c, _ := client.New(client.Options{DirectoryURL: srv.URL, Key: key})
			err := checkProfile(context.Background(), c, tt.profile)
			if (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("got %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestPickChain(t *testing.T) {
	mk := func(issuer, subject string) *x509.Certificate {
		c := &x509.Certificate{}
		c.Issuer.CommonName, c.Subject.CommonName = issuer, subject
		return c
	}
	chains := []*client.Certificate{
		{Chain: []*x509.Certificate{mk("Inter A", "leaf"), mk("Root A", "Inter A")}},
		{Chain: []*x509.Certificate{mk("Inter B", "leaf"), mk("Root B", "Inter B")}},
	}
	tests := []struct {
		cn   string
		want int
	}{
		{"Root A", 0},
		{"Root B", 1},
		{"Inter B", 1},
		{"Root C", -1},
	}
	for _, tt := range tests {
		t.Run(tt.cn, func(t *testing.T) {
			if got := pickChain(chains, tt.cn); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestJSONEverywhere(t *testing.T) {
	q := startQuarry(t)
	r := newRunner(t, q)
	steps := [][]string{
		{"register", "--agree-tos"},
		{"certonly", "-d", "json.quarry.test", "--standalone", "--http-port", itoa(q.httpPort)},
		{"account", "show"},
		{"certificates"},
		{"renew"},
		{"revoke", "--cert-name", "json.quarry.test"},
		{"delete", "--cert-name", "json.quarry.test"},
	}
	for _, args := range steps {
		code, out, errOut := r.run(append(args, "--json")...)
		var v any
		if err := json.Unmarshal([]byte(out), &v); code != exitOK || err != nil {
			t.Errorf("got %v exit %d stdout %q stderr %q (%v), want one JSON document", args, code, out, errOut, err)
		}
	}
	code, out, _ := r.run("revoke", "--cert-name", "json.quarry.test", "--json")
	var e map[string]string
	if err := json.Unmarshal([]byte(out), &e); code != exitFailed || err != nil || e["error"] == "" {
		t.Errorf("got exit %d %q, want 1 and {\"error\": …}", code, out)
	}
}

func TestCertbotArgs(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"certbot style", "--webroot -w /srv -d a", "-w /srv -d a"},
		{"mason style", "--webroot /srv -d a", "--webroot /srv -d a"},
		{"last", "-w /srv -d a --webroot", "-w /srv -d a"},
		{"single dash", "-webroot --webroot-path /srv", "--webroot-path /srv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(certbotArgs(strings.Fields(tt.in)), " "); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
