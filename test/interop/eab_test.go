package interop

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quarry-ca/quarry/test/harness"
)

// eabKeyID names the binding key the test configures.
const eabKeyID = "interop-eab"

// TestEABQuarry runs clients against `quarry serve` with external account
// binding required (acme.eab-required), as a private CA would: certbot,
// lego and uacme register with a key ID and HMAC key and obtain a
// certificate; lego with a wrong HMAC key is refused by the server.
func TestEABQuarry(t *testing.T) {
	t.Parallel()
	hmacKey := make([]byte, 32)
	if _, err := rand.Read(hmacKey); err != nil {
		t.Fatal(err)
	}
	hmac := base64.RawURLEncoding.EncodeToString(hmacKey)
	cfgFile := filepath.Join(t.TempDir(), "quarry.yaml")
	cfg := "acme:\n  eab-required: true\n  eab-keys:\n    " + eabKeyID + ": " + hmac + "\n"
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	w := newWebEnv(t, func(ctx context.Context, dns string, httpPort, tlsPort int) *harness.CA {
		return harness.StartQuarry(ctx, t, harness.QuarryOptions{
			Bin: harness.BuildQuarry(ctx, t), DNS: dns, VAHTTPPort: httpPort, VATLSPort: tlsPort,
			ExtraArgs: []string{"--config", cfgFile},
		})
	})
	root := webrootParent(t, w)

	t.Run("certbot webroot with a binding", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		logs := filepath.Join(dir, "logs")
		showLogOnFailure(t, filepath.Join(logs, "letsencrypt.log"))
		names := []string{"eab-certbot.quarry.test"}
		harness.MustRun(w.ctx, t, []string{"REQUESTS_CA_BUNDLE=" + w.ca.RootsFile},
			"certbot", "certonly", "--webroot", "--webroot-path", root,
			"--eab-kid", eabKeyID, "--eab-hmac-key", hmac,
			"--agree-tos", "--email", "a@example.org", "--cert-name", "eab", "-d", names[0],
			"--server", w.ca.DirectoryURL, "--config-dir", filepath.Join(dir, "config"),
			"--work-dir", filepath.Join(dir, "work"), "--logs-dir", logs, "--non-interactive")
		checkCertbotLineage(t, w.env, filepath.Join(dir, "config", "live", "eab"), names)
	})

	legoArgv := func(dir, hmac, name string) []string {
		return []string{"lego", "--server", w.ca.DirectoryURL, "--email", "a@example.org", "--accept-tos",
			"--path", dir, "--eab", "--kid", eabKeyID, "--hmac", hmac,
			"--http", "--http.webroot", root, "-d", name, "run"}
	}
	legoEnv := []string{"LEGO_CA_CERTIFICATES=" + w.ca.RootsFile}
	t.Run("lego webroot with a binding", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		name := "eab-lego.quarry.test"
		harness.MustRun(w.ctx, t, legoEnv, legoArgv(dir, hmac, name)...)
		checkLegoCert(t, w.env, dir, name, []string{name})
	})
	t.Run("lego with a wrong HMAC key refused", func(t *testing.T) {
		t.Parallel()
		wrong := base64.RawURLEncoding.EncodeToString(make([]byte, 32))
		out, err := harness.Run(w.ctx, t, legoEnv, legoArgv(t.TempDir(), wrong, "eab-wrong.quarry.test")...)
		const problem = "urn:ietf:params:acme:error:unauthorized"
		if err == nil || !strings.Contains(out, problem) {
			t.Errorf("got error %v, want %s in the output:\n%s", err, problem, out)
		}
	})
	t.Run("uacme with a binding", func(t *testing.T) {
		t.Parallel()
		harness.RequireTools(t, strict(), "uacme", "unshare")
		dir := t.TempDir()
		name := "eab-uacme.quarry.test"
		uacmeArgv := uacmeCommand(t, w, dir, uacmeHook)
		envv := []string{"WEBROOT=" + w.web.Dir}
		harness.MustRun(w.ctx, t, envv, uacmeArgv([]string{"-e", eabKeyID + ":" + hmac, "new", "a@example.org"})...)
		harness.MustRun(w.ctx, t, envv, uacmeArgv([]string{"issue", name})...)
		cert := filepath.Join(dir, "uacme", name, "cert.pem")
		harness.CheckNames(t, harness.ReadCerts(t, cert)[0], name)
		harness.VerifyChain(w.ctx, t, w.ca.RootsFile, cert, cert)
	})
}

// webrootParent returns a web root for clients that write into
// <root>/.well-known/acme-challenge/ (certbot --webroot, lego
// --http.webroot): that directory links to the shared webroot's.
func webrootParent(t *testing.T, w *webEnv) string {
	t.Helper()
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, ".well-known"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(w.web.Dir, filepath.Join(root, ".well-known", "acme-challenge")); err != nil {
		t.Fatal(err)
	}
	return root
}
