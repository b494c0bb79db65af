//go:build cgo

package ca

import (
	"context"
	"crypto"
	"crypto/elliptic"
	"crypto/x509"
	"io/fs"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ThalesGroup/crypto11"
	"golang.org/x/crypto/ocsp"

	"github.com/quarry-ca/quarry/internal/softhsmtest"
)

func pkcs11Config(tok softhsmtest.Token) PKCS11Config {
	return PKCS11Config{Module: tok.Module, TokenLabel: tok.Label, PINFile: tok.PINFile}
}

// keyFiles lists every file under dir that holds a private key, by name
// or by content.
func keyFiles(t *testing.T, dir string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".key") || strings.Contains(string(data), "PRIVATE KEY") {
			found = append(found, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestPKCS11Hierarchy creates both hierarchies with their keys in a
// SoftHSM2 token, then proves every kind of signature the CA makes comes
// from those keys, that no key reaches the data directory, and that the
// token's keys cannot be exported.
func TestPKCS11Hierarchy(t *testing.T) {
	toks := softhsmtest.New(t, "quarry")
	cfg := Config{DataDir: filepath.Join(t.TempDir(), "data"), PKCS11: pkcs11Config(toks[0]),
		OCSP: OCSPConfig{Enabled: true}}
	log, buf := bufLogger()
	c, err := Init(context.Background(), cfg, log)
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	if got := keyFiles(t, cfg.DataDir); len(got) != 0 {
		t.Errorf("got private key files %v in the data directory, want none", got)
	}
	if got, want := strings.Count(buf.String(), "CA key created"), 4; got != want {
		t.Errorf("got %d key creation events, want %d", got, want)
	}
	if !strings.Contains(buf.String(), `token=quarry label=quarry-root-e1`) {
		t.Errorf("creation log does not name the token and label: %s", buf)
	}
	m, err := readManifest(filepath.Join(cfg.DataDir, "ca"))
	if err != nil || m.KeyStore != keyStorePKCS11 || m.TokenLabel != "quarry" {
		t.Fatalf("manifest: got %+v, %v; want key store pkcs11 in token quarry", m, err)
	}
	checkSignsWithToken(t, c)
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	// serve reopens the same keys: same intermediates, still signing.
	again, err := Load(context.Background(), cfg, discard())
	if err != nil {
		t.Fatalf("Load after Init: %v", err)
	}
	defer again.Close()
	for _, id := range again.IssuerIDs() {
		before, _ := c.IssuerCertificate(id)
		after, _ := again.IssuerCertificate(id)
		if !before.Equal(after) {
			t.Errorf("%s: got a different certificate after reload, want the same", id)
		}
	}
	checkSignsWithToken(t, again)
	checkNotExtractable(t, again)
}

func checkSignsWithToken(t *testing.T, c *CA) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	for _, tt := range []struct {
		name   string
		issuer string
		key    func() any
	}{
		{"ecdsa leaf", idIntECDSA, func() any { return ecKey(t, elliptic.P256()).Public() }},
		{"rsa leaf", idIntRSA, func() any { return rsaKey(t, 2048).Public() }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			iss, leaf := mustIssue(t, c, IssueRequest{PublicKey: tt.key(), DNSNames: []string{"hsm.example.com"}})
			if iss.IssuerID != tt.issuer {
				t.Fatalf("got issuer %s, want %s", iss.IssuerID, tt.issuer)
			}
			roots := x509.NewCertPool()
			for _, r := range c.Roots() {
				roots.AddCert(r)
			}
			inter := x509.NewCertPool()
			for _, cert := range c.Chains(iss.IssuerID)[0] {
				inter.AddCert(cert)
			}
			if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: "hsm.example.com"}); err != nil {
				t.Errorf("leaf does not verify: %v", err)
			}
			issuer, _ := c.IssuerCertificate(tt.issuer)
			der, err := c.SignCRL(ctx, CRLRequest{IssuerID: tt.issuer, Shard: 1, Number: 7, ThisUpdate: now, NextUpdate: now.Add(24 * time.Hour)}, entriesOf(nil))
			if err != nil {
				t.Fatalf("SignCRL: %v", err)
			}
			crl, err := x509.ParseRevocationList(der)
			if err != nil || crl.CheckSignatureFrom(issuer) != nil {
				t.Errorf("CRL: got parse error %v, want one signed by %s", err, tt.issuer)
			}
			resp, err := c.SignOCSP(ctx, OCSPRequest{IssuerID: tt.issuer, Serial: big.NewInt(0x5e), Status: OCSPGood,
				ThisUpdate: now, NextUpdate: now.Add(DefaultOCSPResponseValidity), IssuerHash: crypto.SHA256})
			if err != nil {
				t.Fatalf("SignOCSP: %v", err)
			}
			if got, err := ocsp.ParseResponseForCert(resp, nil, issuer); err != nil || got.Status != ocsp.Good {
				t.Errorf("OCSP: got %v, want a good response signed by %s", err, tt.issuer)
			}
		})
	}
	// The roots sign too: their CRLs cover the intermediates.
	for _, id := range []string{idRootECDSA, idRootRSA} {
		der, err := c.SignCRL(ctx, CRLRequest{IssuerID: id, Shard: 0, Number: 3, ThisUpdate: now, NextUpdate: now.Add(24 * time.Hour)}, entriesOf(nil))
		if err != nil {
			t.Fatalf("SignCRL %s: %v", id, err)
		}
		root, _ := c.IssuerCertificate(id)
		if crl, err := x509.ParseRevocationList(der); err != nil || crl.CheckSignatureFrom(root) != nil {
			t.Errorf("root CRL %s: got %v, want one signed by the root", id, err)
		}
	}
	if openssl := requireOpenSSLOrWarn(t); openssl != "" {
		_, leaf := mustIssue(t, c, IssueRequest{PublicKey: ecKey(t, elliptic.P256()).Public(), DNSNames: []string{"hsm.example.com"}})
		dir := t.TempDir()
		leafPath := writePEM(t, filepath.Join(dir, "leaf.pem"), leaf)
		chain := writePEM(t, filepath.Join(dir, "chain.pem"), c.Chains(idIntECDSA)[0]...)
		out, err := exec.Command(openssl, "verify", "-purpose", "sslserver", "-x509_strict",
			"-CAfile", c.RootsPEMPath(), "-untrusted", chain, leafPath).CombinedOutput()
		if err != nil || !strings.Contains(string(out), ": OK") {
			t.Errorf("openssl verify: got %v %q, want OK", err, out)
		}
	}
}

// checkNotExtractable asks the token itself whether a CA key could leave.
func checkNotExtractable(t *testing.T, c *CA) {
	t.Helper()
	for _, id := range []string{idRootECDSA, idIntECDSA, idRootRSA, idIntRSA} {
		key, err := c.token.ctx.FindKeyPair(nil, []byte(tokenKeyLabel(id)))
		if err != nil || key == nil {
			t.Fatalf("FindKeyPair %s: got %v, %v", id, key, err)
		}
		attrs, err := c.token.ctx.GetAttributes(key, []crypto11.AttributeType{crypto11.CkaExtractable, crypto11.CkaSensitive, crypto11.CkaDecrypt})
		if err != nil {
			t.Fatalf("GetAttributes %s: %v", id, err)
		}
		for typ, want := range map[crypto11.AttributeType]byte{crypto11.CkaExtractable: 0, crypto11.CkaSensitive: 1, crypto11.CkaDecrypt: 0} {
			a := attrs[typ]
			if a == nil || len(a.Value) != 1 || a.Value[0] != want {
				t.Errorf("%s: got %v = %v, want %d", id, typ, a, want)
			}
		}
	}
}

// TestPKCS11StartErrors: every way the token setup can be wrong stops the
// CA with one sentence that says what to fix.
func TestPKCS11StartErrors(t *testing.T) {
	toks := softhsmtest.New(t, "quarry", "other")
	tok := toks[0]
	ecdsaOnly := []string{KeyECDSA}
	ctx := context.Background()

	// One complete hierarchy in token "quarry" for the cases that need one.
	made := Config{DataDir: filepath.Join(t.TempDir(), "made"), KeyTypes: ecdsaOnly, PKCS11: pkcs11Config(tok)}
	c, err := Init(ctx, made, discard())
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	c.Close()
	fileDir := copyBase(t) // a hierarchy with key files

	worldPIN := filepath.Join(t.TempDir(), "world.pin")
	wrongPIN := filepath.Join(t.TempDir(), "wrong.pin")
	emptyPIN := filepath.Join(t.TempDir(), "empty.pin")
	for path, data := range map[string]string{worldPIN: tok.PIN, wrongPIN: "not-the-pin\n", emptyPIN: "\n"} {
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(worldPIN, 0o644); err != nil {
		t.Fatal(err)
	}

	fresh := func() string { return filepath.Join(t.TempDir(), "data") }
	with := func(f func(*PKCS11Config)) PKCS11Config { p := pkcs11Config(tok); f(&p); return p }
	tests := []struct {
		name    string
		dataDir string
		p11     PKCS11Config
		want    string
	}{
		{"module missing", fresh(), with(func(p *PKCS11Config) { p.Module = "/nonexistent/libpkcs11.so" }), "PKCS#11 module /nonexistent/libpkcs11.so cannot be read"},
		{"token missing", fresh(), with(func(p *PKCS11Config) { p.TokenLabel = "absent" }), `no PKCS#11 token labelled "absent"`},
		{"wrong PIN", fresh(), with(func(p *PKCS11Config) { p.PINFile = wrongPIN }), `token "quarry" refused the PIN in ` + wrongPIN},
		{"PIN file missing", fresh(), with(func(p *PKCS11Config) { p.PINFile = "/nonexistent/pin" }), "PKCS#11 PIN file /nonexistent/pin cannot be read"},
		{"PIN file world-readable", fresh(), with(func(p *PKCS11Config) { p.PINFile = worldPIN }), "is readable by other users"},
		{"PIN file empty", fresh(), with(func(p *PKCS11Config) { p.PINFile = emptyPIN }), "is empty"},
		{"token already holds this hierarchy's labels", fresh(), pkcs11Config(tok), `token "quarry" already holds key quarry-root-e1`},
		{"token keys but ca.pkcs11 unset", made.DataDir, PKCS11Config{}, `are in PKCS#11 token "quarry" but ca.pkcs11 is not configured`},
		{"key files but ca.pkcs11 set", fileDir, pkcs11Config(tok), "are files, but ca.pkcs11 is configured"},
		{"another token than the recorded one", made.DataDir, pkcs11Config(toks[1]), `ca.pkcs11.token-label is "other"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(ctx, Config{DataDir: tt.dataDir, KeyTypes: ecdsaOnly, PKCS11: tt.p11}, discard())
			if err == nil {
				c.Close()
				t.Fatalf("Load: got no error, want one containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("Load: got %q, want one line containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), tok.PIN) {
				t.Errorf("Load: the error %q reveals the PIN", err)
			}
		})
	}

	// A key deleted from the token after creation is a loss, never
	// silently replaced by a new key under the old certificate's name.
	t.Run("key deleted from the token", func(t *testing.T) {
		p11, err := crypto11.Configure(&crypto11.Config{Path: tok.Module, TokenLabel: tok.Label, Pin: tok.PIN})
		if err != nil {
			t.Fatal(err)
		}
		key, err := p11.FindKeyPair(nil, []byte(tokenKeyLabel(idIntECDSA)))
		if err != nil || key == nil {
			t.Fatalf("FindKeyPair: got %v, %v", key, err)
		}
		if err := key.Delete(); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		p11.Close()
		c, err := Load(ctx, made, discard())
		if err == nil {
			c.Close()
			t.Fatal("Load: got no error, want the missing key named")
		}
		want := "key quarry-e1 is missing from token \"quarry\""
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Load: got %q, want %q", err, want)
		}
	})
}

// requireOpenSSLOrWarn returns openssl's path, or "" after logging that
// the interoperability half is left out; in CI a missing openssl fails.
func requireOpenSSLOrWarn(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("openssl not found and CI=true: %v", err)
		}
		t.Log("openssl not installed; leaving out the openssl verify of the token-signed chain")
	}
	return path
}

// TestPKCS11ResumesInterruptedCreation: a first start that stopped after
// making keys in the token but before writing their certificates finishes
// with those same keys on the next start, rather than refusing the token.
func TestPKCS11ResumesInterruptedCreation(t *testing.T) {
	tok := softhsmtest.New(t, "quarry")[0]
	cfg := Config{DataDir: filepath.Join(t.TempDir(), "data"), KeyTypes: []string{KeyECDSA}, PKCS11: pkcs11Config(tok)}
	c, err := Init(context.Background(), cfg, discard())
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	first, _ := c.IssuerCertificate(idIntECDSA)
	c.Close()
	caDir := filepath.Join(cfg.DataDir, "ca")
	m, err := readManifest(caDir)
	if err != nil {
		t.Fatal(err)
	}
	m.Complete = false
	if err := writeManifest(caDir, m); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"root-e1.pem", "e1.pem"} {
		if err := os.Remove(filepath.Join(caDir, name)); err != nil {
			t.Fatal(err)
		}
	}
	c, err = Load(context.Background(), cfg, discard())
	if err != nil {
		t.Fatalf("Load after an interrupted creation: got %v, want the hierarchy finished", err)
	}
	defer c.Close()
	again, _ := c.IssuerCertificate(idIntECDSA)
	if !again.PublicKey.(interface{ Equal(crypto.PublicKey) bool }).Equal(first.PublicKey) {
		t.Error("got a new intermediate key, want the one already in the token")
	}
	if m, _ := readManifest(caDir); m == nil || !m.Complete {
		t.Errorf("got manifest %+v, want it complete", m)
	}
	mustIssue(t, c, IssueRequest{PublicKey: ecKey(t, elliptic.P256()).Public(), DNSNames: []string{"resume.example.com"}})
}
