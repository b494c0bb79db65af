package interop

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/test/harness"
)

// caddyIssueTimeout bounds how long Caddy may take to obtain both
// certificates in the background.
const caddyIssueTimeout = 60 * time.Second

// caddyfile serves two sites: one may only be validated over http-01, the
// other only over tls-alpn-01. Caddy's HTTPS port is the CA's tls-alpn-01
// port; its HTTP port sits behind the shared webroot's fallback.
const caddyfile = `{
	admin off
	http_port %d
	https_port %d
	default_bind 127.0.0.1
	storage file_system {
		root %q
	}
	acme_ca %s
	acme_ca_root %q
	email a@example.org
	ocsp_stapling off
	skip_install_trust
}

%s {
	tls {
		issuer acme {
			disable_tlsalpn_challenge
		}
	}
	respond "http-01"
}

%s {
	tls {
		issuer acme {
			disable_http_challenge
		}
	}
	respond "tls-alpn-01"
}
`

// Caddy obtains a certificate for one site over http-01 and for another
// over tls-alpn-01 on its own, then serves each: a TLS client that trusts
// only the CA's roots must be shown a chain for the name it asked for.
func testCaddy(t *testing.T, w *webEnv) {
	dir := t.TempDir()
	httpSite, alpnSite := "caddy-http.quarry.test", "caddy-alpn.quarry.test"
	httpPort := harness.FreePort(t)
	cfg := filepath.Join(dir, "Caddyfile")
	body := fmt.Sprintf(caddyfile, httpPort, w.vaTLSPort, filepath.Join(dir, "storage"),
		w.ca.DirectoryURL, w.ca.RootsFile, httpSite, alpnSite)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	w.web.SetFallback(httpPort)
	envv := []string{"HOME=" + dir, "XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"XDG_DATA_HOME=" + filepath.Join(dir, "data")}
	caddy := harness.StartProc(t, "caddy", envv, "caddy", "run", "--adapter", "caddyfile", "--config", cfg)

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(w.vaTLSPort))
	for _, site := range []string{httpSite, alpnSite} {
		chain := harness.WaitServedCert(w.ctx, t, addr, site, w.ca.RootsFile, caddyIssueTimeout)
		harness.CheckNames(t, chain[0], site)
		pemFile := filepath.Join(dir, site+".pem")
		writeChainPEM(t, pemFile, chain)
		harness.VerifyChain(w.ctx, t, w.ca.RootsFile, pemFile, pemFile)
	}
	// Caddy logs each validation it answered: the CA must have used the
	// one challenge type each site allows.
	for _, want := range []string{
		`"msg":"served key authentication","identifier":"` + httpSite + `","challenge":"http-01"`,
		`"msg":"served key authentication certificate","server_name":"` + alpnSite + `","challenge":"tls-alpn-01"`,
	} {
		if !strings.Contains(caddy.Output(), want) {
			t.Errorf("got no %s in Caddy's log, want it", want)
		}
	}
}

// writeChainPEM writes certificates as PEM, in order.
func writeChainPEM(t *testing.T, path string, chain []*x509.Certificate) {
	t.Helper()
	var b []byte
	for _, c := range chain {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
