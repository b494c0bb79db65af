package ca

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/internal/core"
)

func TestHierarchyFiles(t *testing.T) {
	caDir := filepath.Join(baseDir, "ca")
	tests := []struct {
		name string
		path string
		mode os.FileMode
	}{
		{"ca directory", caDir, 0o700 | os.ModeDir},
		{"ECDSA root key", filepath.Join(caDir, "root-e1.key"), 0o600},
		{"ECDSA intermediate key", filepath.Join(caDir, "e1.key"), 0o600},
		{"RSA root key", filepath.Join(caDir, "root-r1.key"), 0o600},
		{"RSA intermediate key", filepath.Join(caDir, "r1.key"), 0o600},
		{"ECDSA root cert", filepath.Join(caDir, "root-e1.pem"), 0o644},
		{"ECDSA intermediate cert", filepath.Join(caDir, "e1.pem"), 0o644},
		{"cross-signature", filepath.Join(caDir, "e1-by-root-r1.pem"), 0o644},
		{"RSA root cert", filepath.Join(caDir, "root-r1.pem"), 0o644},
		{"RSA intermediate cert", filepath.Join(caDir, "r1.pem"), 0o644},
		{"roots", filepath.Join(baseDir, "roots.pem"), 0o644},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := os.Stat(tt.path)
			if err != nil {
				t.Fatalf("stat: %v", err)
			}
			if got := info.Mode(); got != tt.mode {
				t.Errorf("mode of %s: got %v, want %v", tt.path, got, tt.mode)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(caDir, "e1-by-root-r1.key")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cross-signature has its own key file (err %v); it must share e1's", err)
	}
	entries, _ := os.ReadDir(caDir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temp file left behind: %s", e.Name())
		}
	}
}

func TestRootsPEM(t *testing.T) {
	c := shared(t)
	data, err := os.ReadFile(c.RootsPEMPath())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatalf("roots.pem: %v", err)
		}
		got = append(got, cert.Subject.CommonName)
	}
	if want := []string{"Quarry Root E1", "Quarry Root R1"}; !slices.Equal(got, want) {
		t.Errorf("roots.pem holds %v, want %v", got, want)
	}
	if n := len(c.Roots()); n != 2 {
		t.Errorf("Roots(): got %d, want 2", n)
	}
	if got, want := c.RootsPEMPath(), filepath.Join(baseDir, "roots.pem"); got != want {
		t.Errorf("RootsPEMPath: got %s, want %s", got, want)
	}
}

func TestManifestRecordsIssuers(t *testing.T) {
	m, err := readManifest(filepath.Join(baseDir, "ca"))
	if err != nil || m == nil {
		t.Fatalf("readManifest: %v, %v", m, err)
	}
	if !m.Complete {
		t.Errorf("manifest not complete")
	}
	if want := []string{"e1", "r1"}; !slices.Equal(m.IssuerIDs, want) {
		t.Errorf("recorded issuer IDs: got %v, want %v", m.IssuerIDs, want)
	}
	if got := shared(t).IssuerIDs(); !slices.Equal(got, m.IssuerIDs) {
		t.Errorf("IssuerIDs(): got %v, want %v", got, m.IssuerIDs)
	}
}

func TestReloadKeepsHierarchy(t *testing.T) {
	dir := copyBase(t)
	before := snapshot(t, filepath.Join(dir, "ca"))
	var cas []*CA
	for i, cfg := range []Config{
		{DataDir: dir},
		{DataDir: dir, KeyTypes: []string{KeyRSA}, Names: Names{RootECDSA: "Other"}}, // recorded values win
	} {
		c, err := Load(context.Background(), cfg, discard())
		if err != nil {
			t.Fatalf("Load %d: %v", i, err)
		}
		cas = append(cas, c)
	}
	if after := snapshot(t, filepath.Join(dir, "ca")); !mapsEqual(before, after) {
		t.Errorf("Load changed files in the ca directory")
	}
	for _, id := range []string{idRootECDSA, idIntECDSA, idRootRSA, idIntRSA, idCrossECDSA} {
		a, _ := cas[0].IssuerCertificate(id)
		b, _ := cas[1].IssuerCertificate(id)
		if a == nil || b == nil || !a.Equal(b) {
			t.Errorf("%s differs between loads", id)
		}
	}
	if got := cas[1].IssuerIDs(); !slices.Equal(got, []string{"e1", "r1"}) {
		t.Errorf("IssuerIDs after reload with other config: got %v, want [e1 r1]", got)
	}
}

func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(data)
	}
	return out
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestInitRefusesExisting(t *testing.T) {
	dir := copyBase(t)
	_, err := Init(context.Background(), Config{DataDir: dir}, discard())
	if !errors.Is(err, core.ErrConflict) {
		t.Errorf("Init over an existing CA: got %v, want kind %s", err, core.ErrConflict)
	}
}

func TestCACertificates(t *testing.T) {
	c := shared(t)
	base := "http://127.0.0.1:4002"
	tests := []struct {
		id, cn, issuerCN, parentID string
		keyType                    string
		keyBits                    int
		sigAlg                     x509.SignatureAlgorithm
	}{
		{idRootECDSA, "Quarry Root E1", "Quarry Root E1", idRootECDSA, KeyECDSA, 384, x509.ECDSAWithSHA384},
		{idIntECDSA, "Quarry E1", "Quarry Root E1", idRootECDSA, KeyECDSA, 256, x509.ECDSAWithSHA384},
		{idRootRSA, "Quarry Root R1", "Quarry Root R1", idRootRSA, KeyRSA, 4096, x509.SHA256WithRSA},
		{idIntRSA, "Quarry R1", "Quarry Root R1", idRootRSA, KeyRSA, 2048, x509.SHA256WithRSA},
		{idCrossECDSA, "Quarry E1", "Quarry Root R1", idRootRSA, KeyECDSA, 256, x509.SHA256WithRSA},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			cert, ok := c.IssuerCertificate(tt.id)
			if !ok {
				t.Fatalf("IssuerCertificate(%q) not found", tt.id)
			}
			parent, _ := c.IssuerCertificate(tt.parentID)
			root := tt.id == tt.parentID
			checkCommon(t, cert, parent, tt.cn, tt.issuerCN)
			if spec, _ := specOf(cert.PublicKey); spec != (keySpec{tt.keyType, tt.keyBits}) {
				t.Errorf("key: got %v, want %s-%d", spec, tt.keyType, tt.keyBits)
			}
			if cert.SignatureAlgorithm != tt.sigAlg {
				t.Errorf("signature algorithm: got %v, want %v", cert.SignatureAlgorithm, tt.sigAlg)
			}
			if root {
				checkRoot(t, cert)
			} else {
				checkIntermediate(t, cert, base+"/issuer/"+tt.parentID)
			}
		})
	}
}

func checkCommon(t *testing.T, cert, parent *x509.Certificate, cn, issuerCN string) {
	t.Helper()
	if cert.Subject.CommonName != cn || !slices.Equal(cert.Subject.Organization, []string{"Quarry"}) {
		t.Errorf("subject: got %v, want O=Quarry CN=%s", cert.Subject, cn)
	}
	if cert.Issuer.CommonName != issuerCN {
		t.Errorf("issuer CN: got %q, want %q", cert.Issuer.CommonName, issuerCN)
	}
	if !cert.IsCA || !cert.BasicConstraintsValid {
		t.Errorf("not a CA: IsCA %v BasicConstraintsValid %v", cert.IsCA, cert.BasicConstraintsValid)
	}
	if err := cert.CheckSignatureFrom(parent); err != nil {
		t.Errorf("signature by parent: %v", err)
	}
	if want := wantSKI(t, cert); !bytes.Equal(cert.SubjectKeyId, want) {
		t.Errorf("SKI: got %x, want %x", cert.SubjectKeyId, want)
	}
	if cert != parent && !bytes.Equal(cert.AuthorityKeyId, parent.SubjectKeyId) {
		t.Errorf("AKI: got %x, want parent SKI %x", cert.AuthorityKeyId, parent.SubjectKeyId)
	}
}

func checkRoot(t *testing.T, cert *x509.Certificate) {
	t.Helper()
	if want := x509.KeyUsageCertSign | x509.KeyUsageCRLSign; cert.KeyUsage != want {
		t.Errorf("key usage: got %v, want %v", cert.KeyUsage, want)
	}
	if got := cert.NotAfter.Sub(cert.NotBefore); got != defaultRootValidity-time.Second {
		t.Errorf("validity: got %v, want %v", got, defaultRootValidity-time.Second)
	}
}

func checkIntermediate(t *testing.T, cert *x509.Certificate, aia string) {
	t.Helper()
	if cert.MaxPathLen != 0 || !cert.MaxPathLenZero {
		t.Errorf("path length: got %d (zero %v), want 0", cert.MaxPathLen, cert.MaxPathLenZero)
	}
	if want := x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature; cert.KeyUsage != want {
		t.Errorf("key usage: got %v, want %v", cert.KeyUsage, want)
	}
	if !slices.Equal(cert.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
		t.Errorf("EKU: got %v, want [serverAuth]", cert.ExtKeyUsage)
	}
	if !slices.Equal(cert.IssuingCertificateURL, []string{aia}) {
		t.Errorf("AIA caIssuers: got %v, want [%s]", cert.IssuingCertificateURL, aia)
	}
	if !slices.ContainsFunc(cert.Policies, oidDomainValidated().Equal) {
		t.Errorf("policies: got %v, want the DV OID", cert.Policies)
	}
	if got := cert.NotAfter.Sub(cert.NotBefore); got != defaultIntermediateValidity-time.Second {
		t.Errorf("validity: got %v, want %v", got, defaultIntermediateValidity-time.Second)
	}
}

// wantSKI recomputes the key identifier independently of subjectKeyID.
func wantSKI(t *testing.T, cert *x509.Certificate) []byte {
	t.Helper()
	bits, err := spkiBits(cert.RawSubjectPublicKeyInfo)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(bits)
	return sum[:20]
}

func TestChains(t *testing.T) {
	c := shared(t)
	e1, _ := c.IssuerCertificate(idIntECDSA)
	cross, _ := c.IssuerCertificate(idCrossECDSA)
	r1, _ := c.IssuerCertificate(idIntRSA)
	tests := []struct {
		name     string
		issuerID string
		want     [][]*x509.Certificate
	}{
		{"ECDSA default then alternate", "e1", [][]*x509.Certificate{{e1}, {cross}}},
		{"RSA one chain", "r1", [][]*x509.Certificate{{r1}}},
		{"unknown issuer", "nope", nil},
		{"root is no issuer", "root-e1", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.Chains(tt.issuerID)
			if !slices.EqualFunc(got, tt.want, func(a, b []*x509.Certificate) bool {
				return slices.EqualFunc(a, b, (*x509.Certificate).Equal)
			}) {
				t.Errorf("Chains(%q): got %d chains, want %d", tt.issuerID, len(got), len(tt.want))
			}
		})
	}
	if !bytes.Equal(e1.RawSubject, cross.RawSubject) || !e1.PublicKey.(*ecdsa.PublicKey).Equal(cross.PublicKey) {
		t.Errorf("cross-signature does not have e1's subject and key")
	}
	if _, ok := c.IssuerCertificate("nope"); ok {
		t.Errorf("IssuerCertificate(nope) found something")
	}
}

func TestECDSAOnlyHierarchy(t *testing.T) {
	dir := t.TempDir()
	c, err := Load(context.Background(), Config{DataDir: dir, KeyTypes: []string{KeyECDSA}}, discard())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got := c.IssuerIDs(); !slices.Equal(got, []string{"e1"}) {
		t.Errorf("IssuerIDs: got %v, want [e1]", got)
	}
	if got := len(c.Chains("e1")); got != 1 {
		t.Errorf("chains of e1: got %d, want 1 (no RSA root to cross-sign)", got)
	}
	iss, _ := mustIssue(t, c, IssueRequest{PublicKey: rsaKey(t, 2048).Public(), DNSNames: []string{"example.com"}})
	if iss.IssuerID != "e1" {
		t.Errorf("RSA leaf with only ECDSA issuers: got issuer %s, want e1", iss.IssuerID)
	}
	if _, ok := c.IssuerCertificate(idRootRSA); ok {
		t.Errorf("ECDSA-only hierarchy has an RSA root")
	}
}

func TestCACertificatesPassLints(t *testing.T) {
	c, err := Load(context.Background(), Config{DataDir: t.TempDir(), KeyTypes: []string{KeyECDSA}, Country: "US",
		IssuerBaseURL: "http://ca.example.com"}, discard())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	for _, id := range []string{idRootECDSA, idIntECDSA} {
		cert, _ := c.IssuerCertificate(id)
		blocking, _, err := c.linter.check(cert.Raw, false, DefaultLintAllowWarn())
		if err != nil || len(blocking) > 0 {
			t.Errorf("%s lints: got %v (err %v), want none", id, lintNames(blocking), err)
		}
	}
}

func TestLogsHoldNoKeys(t *testing.T) {
	logs := initLog.String()
	if !strings.Contains(logs, "CA key created") {
		t.Fatalf("key creation not logged: %s", logs)
	}
	for _, id := range []string{idRootECDSA, idIntECDSA, idRootRSA, idIntRSA} {
		data, err := os.ReadFile(filepath.Join(baseDir, "ca", id+".key"))
		if err != nil {
			t.Fatal(err)
		}
		block, _ := pem.Decode(data)
		key, _ := x509.ParsePKCS8PrivateKey(block.Bytes)
		secrets := []string{strings.Split(string(data), "\n")[1]}
		switch k := key.(type) {
		case *ecdsa.PrivateKey:
			secrets = append(secrets, k.D.String(), k.D.Text(16))
		case *rsa.PrivateKey:
			secrets = append(secrets, k.Primes[0].String(), k.Primes[0].Text(16))
		}
		for _, s := range secrets {
			if strings.Contains(logs, s) {
				t.Errorf("log contains private material of %s", id)
			}
		}
	}
	if strings.Contains(logs, "PRIVATE KEY") {
		t.Errorf("log contains a PEM private key")
	}
}
