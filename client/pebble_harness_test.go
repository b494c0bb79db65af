package client

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/testdns"
)

// pebble is a Pebble ACME server run for one test, with what the test needs
// to talk to it and to check its work.
type pebble struct {
	dirURL  string
	mgmtURL string
	roots   *x509.CertPool // trusts Pebble's listener certificate
	http01  *http01Server
	log     *syncBuffer
}

// startPebble runs /usr/bin/pebble on free loopback ports with its DNS
// pointed at an in-process server that answers 127.0.0.1 for every name,
// and an in-process http-01 responder on its httpPort.
func startPebble(t *testing.T) *pebble {
	t.Helper()
	bin, err := exec.LookPath("pebble")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("pebble is not installed (apt-get install pebble): %v", err)
		}
		t.Skipf("pebble is not installed (apt-get install pebble); skipping the Pebble suite: %v", err)
	}
	if testing.Short() {
		t.Skip("skipping the Pebble suite in -short mode")
	}
	ctx := t.Context()
	dnsSrv, err := testdns.Start(ctx, testdns.Config{DefaultA: []net.IP{net.IPv4(127, 0, 0, 1)}})
	if err != nil {
		t.Fatalf("starting test DNS: %v", err)
	}
	t.Cleanup(func() { _ = dnsSrv.Close() })
	h01 := startHTTP01(t)

	dir := t.TempDir()
	roots := writeListenerCert(t, dir)
	acmeAddr, mgmtAddr := freeAddr(t), freeAddr(t)
	cfg := map[string]any{"pebble": map[string]any{
		"listenAddress":                  acmeAddr,
		"managementListenAddress":        mgmtAddr,
		"certificate":                    filepath.Join(dir, "cert.pem"),
		"privateKey":                     filepath.Join(dir, "key.pem"),
		"httpPort":                       h01.port,
		"tlsPort":                        portOf(t, freeAddr(t)),
		"ocspResponderURL":               "",
		"externalAccountBindingRequired": false,
	}}
	cfgJSON, _ := json.Marshal(cfg)
	cfgPath := filepath.Join(dir, "pebble.json")
	if err := os.WriteFile(cfgPath, cfgJSON, 0o600); err != nil {
		t.Fatal(err)
	}

	p := &pebble{
		dirURL:  "https://" + acmeAddr + "/dir",
		mgmtURL: "https://" + mgmtAddr,
		roots:   roots,
		http01:  h01,
		log:     &syncBuffer{},
	}
	cmd := exec.Command(bin, "-config", cfgPath, "-dnsserver", dnsSrv.Addr(), "-strict")
	// Nonce rejection stays at Pebble's default (5%) so badNonce retries
	// happen for real; one alternate root gives every certificate an
	// alternate chain.
	cmd.Env = append(os.Environ(), "PEBBLE_VA_NOSLEEP=1", "PEBBLE_ALTERNATE_ROOTS=1")
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting pebble: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("pebble output:\n%s", p.log.String())
		}
	})
	p.waitReady(t)
	return p
}

func (p *pebble) httpClient() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: p.roots},
	}}
}

func (p *pebble) waitReady(t *testing.T) {
	t.Helper()
	hc := p.httpClient()
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := hc.Get(p.dirURL)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("pebble did not come up: %v\n%s", err, p.log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// mgmt GETs a path from Pebble's management interface.
func (p *pebble) mgmt(t *testing.T, path string) []byte {
	t.Helper()
	res, err := p.httpClient().Get(p.mgmtURL + path)
	if err != nil {
		t.Fatalf("pebble management %s: %v", path, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("pebble management %s: got %d %s", path, res.StatusCode, body)
	}
	return body
}

// root returns Pebble's issuing root number i.
func (p *pebble) root(t *testing.T, i int) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(p.mgmt(t, fmt.Sprintf("/roots/%d", i)))
	if block == nil {
		t.Fatalf("pebble root %d is not PEM", i)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// certStatus returns Pebble's view of a certificate: "Valid" or "Revoked".
func (p *pebble) certStatus(t *testing.T, cert *x509.Certificate) string {
	t.Helper()
	var st struct{ Status string }
	if err := json.Unmarshal(p.mgmt(t, "/cert-status-by-serial/"+fmt.Sprintf("%x", cert.SerialNumber)), &st); err != nil {
		t.Fatal(err)
	}
	return st.Status
}

// http01Server answers http-01 challenges from an in-process listener.
type http01Server struct {
	port int
	mu   sync.Mutex
	keys map[string]string // token → key authorization
	hits atomic.Int32
}

func startHTTP01(t *testing.T) *http01Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &http01Server{port: portOf(t, ln.Addr().String()), keys: map[string]string{}}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

func (s *http01Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	ka, ok := s.keys[strings.TrimPrefix(r.URL.Path, acme.HTTP01Path(""))]
	s.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	s.hits.Add(1)
	w.Write([]byte(ka))
}

func (s *http01Server) set(token, keyAuth string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[token] = keyAuth
}

// writeListenerCert makes a CA and a 127.0.0.1 certificate for Pebble's
// own HTTPS listeners, writes cert.pem and key.pem to dir, and returns a
// pool trusting the CA.
func writeListenerCert(t *testing.T, dir string) *x509.CertPool {
	t.Helper()
	caKey, key := mustKey(t), mustKey(t)
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "client test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ = x509.ParseCertificate(caDER)
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "pebble"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pool
}

func mustKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// freeAddr returns a loopback address with a port free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func portOf(t *testing.T, addr string) int {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	fmt.Sscan(port, &n)
	return n
}

// syncBuffer collects a child process's output safely.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// badNonceCounter counts badNonce answers passing through a transport.
type badNonceCounter struct {
	next http.RoundTripper
	n    atomic.Int32
}

func (c *badNonceCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := c.next.RoundTrip(r)
	if err != nil || res.StatusCode != http.StatusBadRequest {
		return res, err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	if bytes.Contains(body, []byte(acme.ProblemBadNonce)) {
		c.n.Add(1)
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	return res, nil
}
