package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/client/install/nginx"
	"github.com/quarry-ca/quarry/client/store"
	"github.com/quarry-ca/quarry/test/harness"
)

// nginxSite is a user-level nginx: its own prefix in a temp dir holding
// the pid file, logs and temp paths, Debian's layout (sites-enabled/site
// a link to sites-available/site), one plain-HTTP server block.
type nginxSite struct {
	bin, prefix, conf, site string
	siteBytes               []byte
}

func newNginxSite(t *testing.T, bin string, httpPort int, names ...string) *nginxSite {
	t.Helper()
	n := &nginxSite{bin: bin, prefix: t.TempDir()}
	n.conf = filepath.Join(n.prefix, "nginx.conf")
	n.site = filepath.Join(n.prefix, "sites-available", "site")
	p := n.prefix
	conf := "# a test nginx, everything under its prefix\nworker_processes 1;\ndaemon off;\n" +
		harness.NginxMainConf(p, "sites-enabled/*")
	site := fmt.Sprintf(`server {
	listen 127.0.0.1:%d;
	server_name %s; # the site

	root %s/html;
	location / {
		try_files $uri =404;
	}
}
`, httpPort, strings.Join(names, " "), p)
	n.siteBytes = []byte(site)
	for path, data := range map[string]string{n.conf: conf, n.site: site, filepath.Join(p, "html", "index.html"): "hello\n"} {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"sites-enabled", "tmp"} {
		if err := os.Mkdir(filepath.Join(p, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../sites-available/site", filepath.Join(p, "sites-enabled", "site")); err != nil {
		t.Fatal(err)
	}
	return n
}

// start runs nginx as a child process until the test ends.
func (n *nginxSite) start(t *testing.T, httpPort int) {
	t.Helper()
	harness.StartProc(t, "nginx", nil, n.bin, "-p", n.prefix, "-e", filepath.Join(n.prefix, "error.log"), "-c", n.conf)
	waitFor(t, "nginx to listen", func() bool {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", httpPort), 200*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

func (n *nginxSite) args(tlsPort int) []string {
	return []string{"--nginx", "--nginx-conf", n.conf, "--nginx-bin", n.bin, "--https-port", itoa(tlsPort)}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// served connects with SNI name and returns the chain nginx sends.
func served(t *testing.T, tlsPort int, name string) []*x509.Certificate {
	t.Helper()
	conn, err := tls.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", tlsPort), &tls.Config{ServerName: name, InsecureSkipVerify: true})
	if err != nil {
		t.Fatalf("TLS to nginx for %s: %v", name, err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates
}

// checkServed checks nginx serves exactly fullchain.pem for name and that
// it verifies against Quarry's roots; it returns the leaf.
func checkServed(t *testing.T, r *runner, tlsPort int, lineage, name string) *x509.Certificate {
	t.Helper()
	got := served(t, tlsPort, name)
	want := harness.ReadCerts(t, filepath.Join(r.dir, "live", lineage, "fullchain.pem"))
	if len(got) != len(want) {
		t.Fatalf("got %d certificates from nginx for %s, want the %d of fullchain.pem", len(got), name, len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i].Raw, want[i].Raw) {
			t.Fatalf("got certificate %d (serial %x) from nginx for %s, want fullchain.pem's (serial %x)", i, got[i].SerialNumber, name, want[i].SerialNumber)
		}
	}
	rootsPEM, _ := os.ReadFile(r.q.roots)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(rootsPEM)
	inter := x509.NewCertPool()
	for _, c := range got[1:] {
		inter.AddCert(c)
	}
	if _, err := got[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: name}); err != nil {
		t.Errorf("got %v verifying nginx's chain for %s, want it valid under Quarry's roots", err, name)
	}
	return got[0]
}

func TestNginxRunRedirectRenew(t *testing.T) {
	bin := harness.NginxBin(t, os.Getenv("CI") == "true")
	q := startQuarry(t)
	names := []string{"nginx.quarry.test", "www.nginx.quarry.test"}
	site := newNginxSite(t, bin, q.httpPort, names...)
	site.start(t, q.httpPort)
	r := newRunner(t, q)
	// A strict umask must not hide the challenge answers from nginx's
	// worker, which runs unprivileged when the test runs as root.
	old := syscall.Umask(0o077)
	t.Cleanup(func() { syscall.Umask(old) })

	args := append([]string{"run", "--agree-tos", "-d", names[0], "-d", names[1], "--redirect"}, site.args(q.tlsPort)...)
	code, stdout, stderr := r.run(args...)
	if code != exitOK {
		t.Fatalf("got exit %d (%s), want 0; output:\n%s", code, stderr, stdout)
	}
	for _, want := range []string{"Authorization for nginx.quarry.test: valid", "added ssl_certificate", "nginx -t and reloaded"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("got output without %q:\n%s", want, stdout)
		}
	}
	// A reload takes effect after nginx -s reload returns.
	waitFor(t, "nginx to listen for HTTPS", func() bool {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", q.tlsPort), 200*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	first := checkServed(t, r, q.tlsPort, names[0], names[0])
	checkServed(t, r, q.tlsPort, names[0], names[1])

	edited, _ := os.ReadFile(site.site)
	for _, want := range []string{fmt.Sprintf("listen 127.0.0.1:%d ssl; # managed by mason", q.tlsPort), "if ($scheme = http)", "ssl_certificate_key "} {
		if !strings.Contains(string(edited), want) {
			t.Errorf("got site\n%s\nwant it to contain %q", edited, want)
		}
	}
	if strings.Contains(string(edited), nginx.ChallengePath) {
		t.Errorf("got site\n%s\nwant the temporary challenge location removed", edited)
	}
	if bak, err := os.ReadFile(site.site + nginx.BackupSuffix); err != nil || !bytes.Equal(bak, site.siteBytes) {
		t.Errorf("got backup %q (%v), want the original site", bak, err)
	}
	if l, _ := os.Readlink(filepath.Join(site.prefix, "sites-enabled", "site")); l != "../sites-available/site" {
		t.Errorf("got sites-enabled/site -> %q, want the link kept", l)
	}
	conf, _ := os.ReadFile(filepath.Join(r.dir, "renewal", names[0]+".conf"))
	for _, want := range []string{"authenticator: nginx", "installer: nginx", "nginx_conf: " + site.conf} {
		if !strings.Contains(string(conf), want) {
			t.Errorf("got renewal conf\n%s\nwant %q", conf, want)
		}
	}

	// Plain HTTP now redirects to the HTTPS port.
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	wantLoc := fmt.Sprintf("https://%s:%d/page", names[0], q.tlsPort)
	var gotCode int
	var gotLoc string
	waitFor(t, "nginx to redirect plain HTTP", func() bool {
		req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/page", q.httpPort), nil)
		req.Host = names[0]
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		gotCode, gotLoc = resp.StatusCode, resp.Header.Get("Location")
		return gotCode == http.StatusMovedPermanently
	})
	if gotLoc != wantLoc {
		t.Errorf("got %d Location %q, want 301 to %s", gotCode, gotLoc, wantLoc)
	}

	// A forced renewal answers http-01 through the redirecting block and
	// reloads nginx, which then serves the new certificate.
	code, stdout, stderr = r.run("renew", "--force-renewal", "--cert-name", names[0])
	if code != exitOK {
		t.Fatalf("renew: got exit %d (%s), want 0; output:\n%s", code, stderr, stdout)
	}
	if !strings.Contains(stdout, "nginx reloaded") {
		t.Errorf("got renew output without a reload:\n%s", stdout)
	}
	want := harness.ReadCerts(t, filepath.Join(r.dir, "live", names[0], "cert.pem"))[0]
	if want.SerialNumber.Cmp(first.SerialNumber) == 0 {
		t.Fatal("got the same live certificate after a forced renewal, want a new one")
	}
	// Old workers may take a few connections while they wind down.
	streak := 0
	waitFor(t, "nginx to serve only the renewed certificate", func() bool {
		if served(t, q.tlsPort, names[0])[0].SerialNumber.Cmp(want.SerialNumber) == 0 {
			streak++
		} else {
			streak = 0
		}
		return streak >= 5
	})
	checkServed(t, r, q.tlsPort, names[0], names[0])
	after, _ := os.ReadFile(site.site)
	if !bytes.Equal(after, edited) {
		t.Errorf("got site after renewal\n%s\nwant it as install left it\n%s", after, edited)
	}
}

// TestNginxRefusedRestores installs a lineage whose key does not match its
// certificate: nginx -t refuses, and every file is restored byte for byte.
func TestNginxRefusedRestores(t *testing.T) {
	bin := harness.NginxBin(t, os.Getenv("CI") == "true")
	port := harness.FreePort(t)
	site := newNginxSite(t, bin, port, "bad.quarry.test")
	confBefore, _ := os.ReadFile(site.conf)
	dir := filepath.Join(t.TempDir(), "mason")
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, otherKeyPEM := mismatchedPair(t, "bad.quarry.test")
	if _, err := st.SaveVersion("bad.quarry.test", store.Files{Cert: certPEM, Chain: certPEM, FullChain: certPEM, PrivKey: otherKeyPEM}); err != nil {
		t.Fatal(err)
	}
	r := store.Renewal{Version: 1, Server: "https://127.0.0.1:1/dir", Account: "1", Domains: []string{"bad.quarry.test"},
		Authenticator: store.AuthWebroot, Webroot: "/srv", KeyType: "ecdsa"}
	if err := st.SaveRenewal("bad.quarry.test", r); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	e := env{stdout: &stdout, stderr: &stderr, getenv: os.Getenv, now: time.Now, rand: mrand.New(mrand.NewPCG(1, 2)), euid: 1000}
	code := run(context.Background(), e, append([]string{"install", "--config-dir", dir, "--cert-name", "bad.quarry.test"}, site.args(harness.FreePort(t))...))
	if code != exitFailed {
		t.Fatalf("got exit %d, want %d; output:\n%s%s", code, exitFailed, stdout.String(), stderr.String())
	}
	msg := stderr.String()
	if strings.Count(strings.TrimSpace(msg), "\n") != 0 || !strings.Contains(msg, "nginx -t refused") || !strings.Contains(msg, "restored") {
		t.Errorf("got %q, want one line saying nginx -t refused and the files were restored", msg)
	}
	if got, _ := os.ReadFile(site.site); !bytes.Equal(got, site.siteBytes) {
		t.Errorf("got site\n%s\nwant it restored byte for byte\n%s", got, site.siteBytes)
	}
	if got, _ := os.ReadFile(site.conf); !bytes.Equal(got, confBefore) {
		t.Error("got nginx.conf changed, want it untouched")
	}
	if got, _ := st.LoadRenewal("bad.quarry.test"); got.Installer != "" {
		t.Errorf("got installer %q recorded after a failed install, want none", got.Installer)
	}
}

// TestNginxInstallSavedLineage installs a lineage certonly could have
// saved, records the installer, and changes nothing the second time.
func TestNginxInstallSavedLineage(t *testing.T) {
	bin := harness.NginxBin(t, os.Getenv("CI") == "true")
	site := newNginxSite(t, bin, harness.FreePort(t), "saved.quarry.test")
	dir := filepath.Join(t.TempDir(), "mason")
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM := matchingPair(t, "saved.quarry.test")
	if _, err := st.SaveVersion("saved", store.Files{Cert: certPEM, Chain: certPEM, FullChain: certPEM, PrivKey: keyPEM}); err != nil {
		t.Fatal(err)
	}
	r := store.Renewal{Version: 1, Server: "https://127.0.0.1:1/dir", Account: "1", Domains: []string{"saved.quarry.test"},
		Authenticator: store.AuthWebroot, Webroot: "/srv", KeyType: "ecdsa"}
	if err := st.SaveRenewal("saved", r); err != nil {
		t.Fatal(err)
	}
	install := func() (int, string, string) {
		var stdout, stderr bytes.Buffer
		e := env{stdout: &stdout, stderr: &stderr, getenv: os.Getenv, now: time.Now, rand: mrand.New(mrand.NewPCG(1, 2)), euid: 1000}
		args := append([]string{"install", "--config-dir", dir, "--cert-name", "saved", "--nginx-reload", "true"}, site.args(harness.FreePort(t))...)
		return run(context.Background(), e, args), stdout.String(), stderr.String()
	}
	code, stdout, stderr := install()
	if code != exitOK {
		t.Fatalf("got exit %d (%s), want 0; output:\n%s", code, stderr, stdout)
	}
	edited, _ := os.ReadFile(site.site)
	full, _ := filepath.Abs(st.LivePath("saved", "fullchain"))
	if !strings.Contains(string(edited), "ssl_certificate "+full+"; # managed by mason") {
		t.Errorf("got site\n%s\nwant ssl_certificate %s", edited, full)
	}
	got, err := st.LoadRenewal("saved")
	if err != nil || got.Installer != store.InstallerNginx || got.NginxConf != site.conf || got.NginxReload != "true" || got.Authenticator != store.AuthWebroot {
		t.Errorf("got renewal %+v (%v), want the nginx installer recorded and the webroot authenticator kept", got, err)
	}
	code, stdout, stderr = install()
	if code != exitOK || !strings.Contains(stdout, "nothing changed") {
		t.Errorf("second install: got exit %d (%s), output:\n%s\nwant 0 and nothing changed", code, stderr, stdout)
	}
	if again, _ := os.ReadFile(site.site); !bytes.Equal(again, edited) {
		t.Errorf("got site changed by a second install:\n%s", again)
	}
}

// matchingPair is a self-signed certificate for name and its key.
func matchingPair(t *testing.T, name string) (certPEM, keyPEM []byte) {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), DNSNames: []string{name}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb})
}

// mismatchedPair is a self-signed certificate for name and the PEM of
// another key.
func mismatchedPair(t *testing.T, name string) (certPEM, keyPEM []byte) {
	t.Helper()
	k1, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	k2, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), DNSNames: []string{name}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k1.Public(), k1)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(k2)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb})
}
