package interop

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/test/harness"
)

// acmetoolTarget is acmetool's default target: which CA, and http-01 by
// writing into the shared webroot without starting listeners of its own or
// fetching the file itself first (the names resolve only in the CA's DNS).
const acmetoolTarget = `request:
  provider: %s
  key:
    type: ecdsa
  challenge:
    webroot-paths:
      - %s
    http-ports: []
    http-self-test: false
`

// acmetoolResponses answers acmetool's questions in --batch mode.
const acmetoolResponses = `"acme-enter-email": "a@example.org"
"acme-agreement:%s": true
`

// acmetool (its own ACME library, hlandau/acmeapi) obtains a two-name
// certificate over http-01 by writing into the shared webroot. Its revoke
// command only marks a certificate that a target still uses, so it is not
// tried here.
func testAcmetool(t *testing.T, w *webEnv) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	names := []string{"acmetool-a.quarry.test", "acmetool-b.quarry.test"}
	if err := os.MkdirAll(filepath.Join(state, "conf"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeString(t, filepath.Join(state, "conf", "target"), fmt.Sprintf(acmetoolTarget, w.ca.DirectoryURL, w.web.Dir))
	writeString(t, filepath.Join(state, "conf", "responses"), fmt.Sprintf(acmetoolResponses, termsOfService(t, w.env)))
	// acmetool is a Go program: crypto/x509 reads this.
	envv := []string{"SSL_CERT_FILE=" + w.ca.RootsFile}
	acmetool := func(args ...string) string {
		t.Helper()
		argv := append([]string{"acmetool", "--state", state, "--batch", "--xlog.severity=debug"}, args...)
		return harness.MustRun(w.ctx, t, envv, argv...)
	}
	acmetool(append([]string{"want"}, names...)...)
	// live/<name> links to certs/<id>, which holds cert, chain, fullchain
	// and privkey, without extensions.
	live := filepath.Join(state, "live", names[0])
	cert := filepath.Join(live, "cert")
	if _, err := tls.LoadX509KeyPair(filepath.Join(live, "fullchain"), filepath.Join(live, "privkey")); err != nil {
		t.Fatalf("got unusable fullchain and privkey: %v", err)
	}
	harness.CheckNames(t, harness.ReadCerts(t, cert)[0], names...)
	harness.VerifyChain(w.ctx, t, w.ca.RootsFile, filepath.Join(live, "chain"), cert)
}

// termsOfService is the terms URL the CA's directory names, or "" when it
// names none.
func termsOfService(t *testing.T, e *env) string {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(readFile(t, e.ca.RootsFile))) {
		t.Fatalf("no certificates in %s", e.ca.RootsFile)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(e.ctx, http.MethodGet, e.ca.DirectoryURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("fetching the directory: %v", err)
	}
	defer resp.Body.Close()
	var dir struct {
		Meta struct {
			TermsOfService string `json:"termsOfService"`
		} `json:"meta"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&dir); err != nil {
		t.Fatalf("decoding the directory: %v", err)
	}
	return dir.Meta.TermsOfService
}
