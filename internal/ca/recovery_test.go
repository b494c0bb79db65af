package ca

import (
	"bytes"
	"context"
	"crypto"
	"crypto/elliptic"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quarry-ca/quarry/internal/core"
)

// TestLoadRecovers covers what Load does with a damaged data directory: a
// missing certificate whose key survives is re-signed, and everything that
// cannot be made consistent is a clear error.
func TestLoadRecovers(t *testing.T) {
	tests := []struct {
		name    string
		damage  func(t *testing.T, caDir string)
		wantErr string   // "" = Load succeeds
		remade  []string // certificates Load must have re-created
	}{
		{
			name:   "intermediate certificate missing",
			damage: remove("e1.pem"),
			remade: []string{idIntECDSA},
		},
		{
			name:   "cross-signature missing",
			damage: remove("e1-by-root-r1.pem"),
			remade: []string{idCrossECDSA},
		},
		{
			name:   "root certificate missing",
			damage: remove("root-r1.pem"),
			remade: []string{idRootRSA},
		},
		{
			name:    "intermediate key missing",
			damage:  remove("r1.key"),
			wantErr: "r1.key is missing",
		},
		{
			name:    "root key missing",
			damage:  remove("root-e1.key"),
			wantErr: "root-e1.key is missing",
		},
		{
			name:    "intermediate key and certificate missing after creation",
			damage:  remove("e1.key", "e1.pem"),
			wantErr: "was complete but",
		},
		{
			name:    "key replaced by another",
			damage:  replaceKey("r1.key", func(t *testing.T) []byte { return pemKey(t, rsaKey(t, 2048)) }),
			wantErr: "public key is not the one in",
		},
		{
			name:    "key of the wrong type",
			damage:  replaceKey("r1.key", func(t *testing.T) []byte { return pemKey(t, ecKey(t, elliptic.P256())) }),
			wantErr: "want rsa-2048",
		},
		{
			name: "certificate swapped for another",
			damage: func(t *testing.T, caDir string) {
				data, _ := os.ReadFile(filepath.Join(caDir, "r1.pem"))
				writeOver(t, filepath.Join(caDir, "e1.pem"), data)
			},
			wantErr: "does not fit the hierarchy",
		},
		{
			name:    "files without a manifest",
			damage:  remove(manifestName),
			wantErr: "no hierarchy.json",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dataDir := copyBase(t)
			caDir := filepath.Join(dataDir, "ca")
			old := loadCerts(t, caDir)
			var leaves []*x509.Certificate
			if tt.wantErr == "" {
				leaves = issueBefore(t, dataDir)
			}
			tt.damage(t, caDir)
			c, err := Load(context.Background(), Config{DataDir: dataDir}, discard())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, core.ErrServerInternal) {
					t.Fatalf("Load: got %v, want a serverInternal error containing %q", err, tt.wantErr)
				}
				t.Logf("Load: %v", err)
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			checkRecovered(t, c, old, tt.remade, leaves)
		})
	}
}

// issueBefore issues an ECDSA and an RSA leaf, to check after the damage
// that certificates issued earlier still chain.
func issueBefore(t *testing.T, dataDir string) []*x509.Certificate {
	t.Helper()
	c, err := Load(context.Background(), Config{DataDir: dataDir}, discard())
	if err != nil {
		t.Fatal(err)
	}
	var leaves []*x509.Certificate
	for _, k := range []crypto.Signer{ecKey(t, elliptic.P256()), rsaKey(t, 2048)} {
		_, leaf := mustIssue(t, c, IssueRequest{PublicKey: k.Public(), DNSNames: []string{"example.com"}})
		leaves = append(leaves, leaf)
	}
	return leaves
}

// checkRecovered checks re-made certificates keep subject and key, others
// are untouched, leaves issued before the damage still verify on every
// chain, and roots.pem matches the roots.
func checkRecovered(t *testing.T, c *CA, old map[string]*x509.Certificate, remade []string, leaves []*x509.Certificate) {
	t.Helper()
	for id, was := range old {
		now, _ := c.IssuerCertificate(id)
		isRemade := slices.Contains(remade, id)
		switch {
		case !isRemade && !now.Equal(was):
			t.Errorf("%s changed though it was intact", id)
		case isRemade && now.Equal(was):
			t.Errorf("%s was not re-created", id)
		case isRemade && (!bytes.Equal(now.RawSubject, was.RawSubject) ||
			!bytes.Equal(now.RawSubjectPublicKeyInfo, was.RawSubjectPublicKeyInfo)):
			t.Errorf("re-created %s has a different subject or key", id)
		}
	}
	roots := x509.NewCertPool()
	for _, r := range c.Roots() {
		roots.AddCert(r)
	}
	for _, leaf := range leaves {
		issuerID := strings.TrimPrefix(leaf.IssuingCertificateURL[0], "http://127.0.0.1:4002/issuer/")
		for i, chain := range c.Chains(issuerID) {
			inter := x509.NewCertPool()
			inter.AddCert(chain[0])
			if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: "example.com"}); err != nil {
				t.Errorf("old leaf of %s on chain %d: %v", issuerID, i, err)
			}
		}
	}
	rootsPEM, _ := os.ReadFile(c.RootsPEMPath())
	var want []byte
	for _, r := range c.Roots() {
		want = append(want, certPEM(r)...)
	}
	if !bytes.Equal(rootsPEM, want) {
		t.Errorf("roots.pem does not hold exactly the current roots")
	}
}

func TestLoadFinishesInterruptedCreation(t *testing.T) {
	dataDir := copyBase(t)
	caDir := filepath.Join(dataDir, "ca")
	m, _ := readManifest(caDir)
	m.Complete = false
	if err := writeManifest(caDir, m); err != nil {
		t.Fatal(err)
	}
	// As if the process died after creating the ECDSA half.
	remove("root-r1.key", "root-r1.pem", "r1.key", "r1.pem", "e1-by-root-r1.pem")(t, caDir)
	c, err := Load(context.Background(), Config{DataDir: dataDir}, discard())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got := len(c.Chains("e1")); got != 2 {
		t.Errorf("chains of e1 after finishing: got %d, want 2", got)
	}
	m, _ = readManifest(caDir)
	if !m.Complete {
		t.Errorf("manifest still incomplete after Load")
	}
	for _, name := range []string{"root-r1.key", "r1.key"} {
		if info, err := os.Stat(filepath.Join(caDir, name)); err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("%s: got %v (err %v), want mode 0600", name, info.Mode(), err)
		}
	}
}

func remove(names ...string) func(*testing.T, string) {
	return func(t *testing.T, caDir string) {
		for _, n := range names {
			if err := os.Remove(filepath.Join(caDir, n)); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func replaceKey(name string, key func(*testing.T) []byte) func(*testing.T, string) {
	return func(t *testing.T, caDir string) { writeOver(t, filepath.Join(caDir, name), key(t)) }
}

func writeOver(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func pemKey(t *testing.T, key crypto.Signer) []byte {
	t.Helper()
	data, err := encodeKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func loadCerts(t *testing.T, caDir string) map[string]*x509.Certificate {
	t.Helper()
	out := map[string]*x509.Certificate{}
	for _, id := range []string{idRootECDSA, idIntECDSA, idRootRSA, idIntRSA, idCrossECDSA} {
		data, err := os.ReadFile(filepath.Join(caDir, id+".pem"))
		if err != nil {
			t.Fatal(err)
		}
		cert, err := parseCertPEM(data)
		if err != nil {
			t.Fatal(err)
		}
		out[id] = cert
	}
	return out
}
