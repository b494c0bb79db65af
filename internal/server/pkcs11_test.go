package server_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	xacme "golang.org/x/crypto/acme"

	"github.com/quarry-ca/quarry/internal/ca"
	"github.com/quarry-ca/quarry/internal/config"
	"github.com/quarry-ca/quarry/internal/server"
	"github.com/quarry-ca/quarry/internal/softhsmtest"
)

// TestIssueWithKeysInToken: a hierarchy created in a SoftHSM2 token by
// init, then an in-process Quarry over it issues certificates over ACME
// whose chains openssl verifies, and no CA private key is ever a file.
func TestIssueWithKeysInToken(t *testing.T) {
	tok := softhsmtest.New(t, "quarry")[0]
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("openssl not found and CI=true: %v", err)
		}
		t.Skip("openssl not installed; it verifies the chains this test issues")
	}
	p11 := &config.PKCS11{Module: tok.Module, TokenLabel: tok.Label, PINFile: tok.PINFile}
	dataDir := filepath.Join(t.TempDir(), "data")

	// quarry init: what cmd/quarry does, with the same CA configuration.
	initCfg := config.Default()
	initCfg.DataDir, initCfg.CA.PKCS11 = dataDir, p11
	if err := initCfg.Validate(); err != nil {
		t.Fatalf("config: %v", err)
	}
	made, err := ca.Init(context.Background(), server.CAConfig(initCfg, "http://"+initCfg.HTTPListen), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("init: %v", err)
	}
	made.Close()

	e := startEnv(t, func(c *config.Config) { c.DataDir, c.CA.PKCS11 = dataDir, p11 })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := e.client()
	e.register(ctx, c)
	rootsPEM, err := os.ReadFile(e.srv.RootsPath())
	if err != nil {
		t.Fatal(err)
	}
	var caCerts []*x509.Certificate
	for rest := rootsPEM; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		caCerts = append(caCerts, cert)
	}
	for _, tt := range []struct {
		name string
		host string
		key  func() crypto.Signer
	}{
		{"ecdsa leaf", "hsm-e.quarry.test", ecKey},
		{"rsa leaf", "hsm-r.quarry.test", rsaKey},
	} {
		t.Run(tt.name, func(t *testing.T) {
			order, err := c.AuthorizeOrder(ctx, xacme.DomainIDs(tt.host))
			if err != nil {
				t.Fatalf("new order: %v", err)
			}
			e.solve(ctx, c, order, "http-01")
			chain, _, err := c.CreateOrderCert(ctx, order.FinalizeURL, csrFor(t, tt.key(), tt.host), true)
			if err != nil {
				t.Fatalf("finalize: %v", err)
			}
			e.verify(chain, tt.host)
			for _, der := range chain[1:] {
				inter, _ := x509.ParseCertificate(der)
				caCerts = append(caCerts, inter)
			}
			dir := t.TempDir()
			leafPath := filepath.Join(dir, "leaf.pem")
			chainPath := filepath.Join(dir, "chain.pem")
			writeDERs(t, leafPath, chain[:1])
			writeDERs(t, chainPath, chain[1:])
			out, err := exec.Command(openssl, "verify", "-purpose", "sslserver", "-x509_strict",
				"-CAfile", e.srv.RootsPath(), "-untrusted", chainPath, leafPath).CombinedOutput()
			if err != nil || !strings.Contains(string(out), leafPath+": OK") {
				t.Errorf("openssl verify: got %v %q, want %s: OK", err, out, leafPath)
			}
		})
	}
	e.stop()
	checkNoCAKeyFiles(t, dataDir, caCerts)
}

func writeDERs(t *testing.T, path string, ders [][]byte) {
	t.Helper()
	var buf bytes.Buffer
	for _, der := range ders {
		pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: der})
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkNoCAKeyFiles walks the data directory: no *.key file at all, and the
// only private key on disk, the API listener's TLS key, belongs to no CA
// certificate.
func checkNoCAKeyFiles(t *testing.T, dataDir string, caCerts []*x509.Certificate) {
	t.Helper()
	type equaler interface{ Equal(crypto.PublicKey) bool }
	var keys []string
	err := filepath.WalkDir(dataDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasSuffix(p, ".key") {
			t.Errorf("got key file %s in the data directory, want none", p)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		b, _ := pem.Decode(data)
		if b == nil || !strings.HasSuffix(b.Type, "PRIVATE KEY") {
			return nil
		}
		keys = append(keys, p)
		k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
		if err != nil {
			if k, err = x509.ParseECPrivateKey(b.Bytes); err != nil {
				t.Errorf("%s: unreadable private key: %v", p, err)
				return nil
			}
		}
		pub := k.(crypto.Signer).Public().(equaler)
		for _, cert := range caCerts {
			if pub.Equal(cert.PublicKey) {
				t.Errorf("%s holds the private key of CA certificate %q", p, cert.Subject.CommonName)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dataDir, "tls", "key.pem"); len(keys) != 1 || keys[0] != want {
		t.Errorf("got private keys %v on disk, want only the API's TLS key %s", keys, want)
	}
	if len(caCerts) < 4 {
		t.Errorf("checked %d CA certificates, want the roots and both intermediates", len(caCerts))
	}
}
