package interop

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/quarry-ca/quarry/test/harness"
)

// acme-tiny signs a CSR made with openssl over http-01, writing into the
// shared webroot, twice with one RSA account key: the second run finds the
// existing account and gets a new certificate for the same CSR.
func testAcmeTiny(t *testing.T, w *webEnv) {
	dir := t.TempDir()
	names := []string{"tiny-a.quarry.test", "tiny-b.quarry.test"}
	accountKey := filepath.Join(dir, "account.key")
	certKey := filepath.Join(dir, "cert.key")
	csr := filepath.Join(dir, "cert.csr")
	harness.MustRun(w.ctx, t, nil, "openssl", "genrsa", "-out", accountKey, "2048")
	harness.MustRun(w.ctx, t, nil, "openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
		"-nodes", "-keyout", certKey, "-out", csr,
		"-subj", "/CN="+names[0], "-addext", "subjectAltName=DNS:"+names[0]+",DNS:"+names[1])
	// acme-tiny's Python urllib reads this; --disable-check skips its own
	// fetch of the challenge file, which would go to port 80.
	envv := []string{"SSL_CERT_FILE=" + w.ca.RootsFile}
	var serials []string
	for i := range 2 {
		out := harness.MustRun(w.ctx, t, envv, "acme-tiny", "--quiet", "--disable-check",
			"--account-key", accountKey, "--csr", csr, "--acme-dir", w.web.Dir,
			"--directory-url", w.ca.DirectoryURL, "--contact", "mailto:a@example.org")
		chain := filepath.Join(dir, "chain"+string(rune('0'+i))+".pem")
		if err := os.WriteFile(chain, []byte(out), 0o600); err != nil {
			t.Fatal(err)
		}
		certs := harness.ReadCerts(t, chain)
		if len(certs) < 2 {
			t.Errorf("got %d certificates from acme-tiny, want the leaf and its chain", len(certs))
		}
		harness.CheckNames(t, certs[0], names...)
		harness.VerifyChain(w.ctx, t, w.ca.RootsFile, chain, chain)
		serials = append(serials, certs[0].SerialNumber.Text(16))
	}
	if serials[0] == serials[1] {
		t.Errorf("got serial %s twice, want a new certificate on the second run", serials[0])
	}
}
