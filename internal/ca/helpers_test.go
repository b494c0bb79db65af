package ca

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// One full hierarchy (with its slow RSA-4096 root) is made per test binary;
// tests that change files work on copies of it.
var (
	baseDir string
	initLog bytes.Buffer // everything logged while the base hierarchy was made
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "quarry-ca-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	baseDir = filepath.Join(dir, "data")
	log := slog.New(slog.NewTextHandler(&initLog, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if _, err := Init(context.Background(), Config{DataDir: baseDir}, log); err != nil {
		fmt.Fprintln(os.Stderr, "creating the test hierarchy:", err)
		return 1
	}
	return m.Run()
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// bufLogger logs into a buffer the test can read.
func bufLogger() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), &buf
}

// copyBase copies the base hierarchy into a fresh data directory.
func copyBase(t testing.TB) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "data")
	if err := os.CopyFS(dst, os.DirFS(baseDir)); err != nil {
		t.Fatalf("copying hierarchy: %v", err)
	}
	// CopyFS drops permissions beyond 0644/0755; put the real ones back.
	if err := filepath.WalkDir(baseDir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(baseDir, p)
		return os.Chmod(filepath.Join(dst, rel), info.Mode().Perm())
	}); err != nil {
		t.Fatalf("copying permissions: %v", err)
	}
	return dst
}

// loadCopy loads a copy of the base hierarchy with cfg (DataDir is set).
func loadCopy(t testing.TB, cfg Config) (*CA, string) {
	t.Helper()
	cfg.DataDir = copyBase(t)
	c, err := Load(context.Background(), cfg, discard())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c, cfg.DataDir
}

var (
	sharedOnce sync.Once
	sharedCA   *CA
	sharedErr  error
)

// shared is a CA over the base hierarchy for tests that only read and issue.
func shared(t testing.TB) *CA {
	t.Helper()
	sharedOnce.Do(func() { sharedCA, sharedErr = Load(context.Background(), Config{DataDir: baseDir}, discard()) })
	if sharedErr != nil {
		t.Fatalf("Load: %v", sharedErr)
	}
	return sharedCA
}

func ecKey(t testing.TB, curve elliptic.Curve) crypto.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func rsaKey(t testing.TB, bits int) crypto.Signer {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustIssue(t testing.TB, c *CA, req IssueRequest) (*Issued, *x509.Certificate) {
	t.Helper()
	iss, err := c.Issue(context.Background(), req)
	if err != nil {
		t.Fatalf("Issue(%v): %v", req.DNSNames, err)
	}
	cert, err := x509.ParseCertificate(iss.DER)
	if err != nil {
		t.Fatalf("parsing issued certificate: %v", err)
	}
	return iss, cert
}

// countingSigner records every signature made with a key.
type countingSigner struct {
	crypto.Signer
	mu    sync.Mutex
	count int
}

func (s *countingSigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	s.mu.Lock()
	s.count++
	s.mu.Unlock()
	return s.Signer.Sign(r, digest, opts)
}

func (s *countingSigner) signatures() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}
