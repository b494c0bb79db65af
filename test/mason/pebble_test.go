package mason

import (
	"bytes"
	"context"
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
	"strconv"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/internal/testdns"
	"github.com/quarry-ca/quarry/test/harness"
)

// pebble is one Pebble run for the suite.
type pebble struct {
	dirURL   string
	mgmtURL  string
	roots    string // PEM file trusting Pebble's HTTPS listeners
	pool     *x509.CertPool
	httpPort int // where Pebble's VA fetches http-01
	tlsPort  int // where Pebble's VA dials tls-alpn-01
}

// strict says whether a missing pebble fails the suite (CI) or skips it.
func strict() bool { return os.Getenv("CI") == "true" }

// startPebble runs /usr/bin/pebble on loopback ports with its resolver
// answering 127.0.0.1 for every name. Nonce rejection stays at Pebble's
// default; PEBBLE_VA_NOSLEEP skips its artificial validation delay.
func startPebble(ctx context.Context, t *testing.T) *pebble {
	t.Helper()
	harness.RequireTools(t, strict(), "pebble")
	dns, err := testdns.Start(ctx, testdns.Config{DefaultA: []net.IP{net.IPv4(127, 0, 0, 1)}})
	if err != nil {
		t.Fatalf("starting test DNS: %v", err)
	}
	t.Cleanup(func() { _ = dns.Close() })
	dir := t.TempDir()
	p := &pebble{httpPort: harness.FreePort(t), tlsPort: harness.FreePort(t), roots: filepath.Join(dir, "roots.pem")}
	listen := "127.0.0.1:" + strconv.Itoa(harness.FreePort(t))
	mgmt := "127.0.0.1:" + strconv.Itoa(harness.FreePort(t))
	p.dirURL, p.mgmtURL = "https://"+listen+"/dir", "https://"+mgmt
	p.pool = writeListenerCert(t, dir, p.roots)
	cfg, _ := json.Marshal(map[string]any{"pebble": map[string]any{
		"listenAddress": listen, "managementListenAddress": mgmt,
		"certificate": filepath.Join(dir, "cert.pem"), "privateKey": filepath.Join(dir, "key.pem"),
		"httpPort": p.httpPort, "tlsPort": p.tlsPort, "ocspResponderURL": "",
		"externalAccountBindingRequired": false,
	}})
	cfgPath := filepath.Join(dir, "pebble.json")
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"PEBBLE_VA_NOSLEEP=1", "PEBBLE_ALTERNATE_ROOTS=1"}
	proc := harness.StartProc(t, "pebble", env, "pebble", "-config", cfgPath, "-dnsserver", dns.Addr())
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := p.get(ctx, p.dirURL); err == nil {
			return p
		} else if time.Now().After(deadline) {
			t.Fatalf("pebble did not come up: %v", err)
		}
		select {
		case <-proc.Exited():
			t.Fatalf("pebble exited at start:\n%s", proc.Output())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (p *pebble) get(ctx context.Context, url string) ([]byte, error) {
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.pool}}}
	defer hc.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, res.Status)
	}
	return body, nil
}

// certStatus is Pebble's view of a certificate: "Valid" or "Revoked".
func (p *pebble) certStatus(ctx context.Context, t *testing.T, cert *x509.Certificate) string {
	t.Helper()
	body, err := p.get(ctx, p.mgmtURL+"/cert-status-by-serial/"+cert.SerialNumber.Text(16))
	if err != nil {
		t.Fatalf("asking pebble for the status of %x: %v", cert.SerialNumber, err)
	}
	var st struct{ Status string }
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatal(err)
	}
	return st.Status
}

// issuanceRoots returns Pebble's issuing roots: its main one and the
// alternate one PEBBLE_ALTERNATE_ROOTS adds.
func (p *pebble) issuanceRoots(ctx context.Context, t *testing.T) *x509.CertPool {
	t.Helper()
	pool := x509.NewCertPool()
	for i := range 2 {
		body, err := p.get(ctx, p.mgmtURL+"/roots/"+strconv.Itoa(i))
		if err != nil || !pool.AppendCertsFromPEM(body) {
			t.Fatalf("fetching pebble root %d: %v", i, err)
		}
	}
	return pool
}

// root returns Pebble's issuing root number i.
func (p *pebble) root(ctx context.Context, t *testing.T, i int) *x509.Certificate {
	t.Helper()
	body, err := p.get(ctx, p.mgmtURL+"/roots/"+strconv.Itoa(i))
	if err != nil {
		t.Fatalf("fetching pebble root %d: %v", i, err)
	}
	b, _ := pem.Decode(body)
	if b == nil {
		t.Fatalf("pebble root %d is not PEM", i)
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// writeListenerCert makes a throw-away CA and a certificate for 127.0.0.1
// for Pebble's HTTPS listeners, and writes the CA to rootsPath.
func writeListenerCert(t *testing.T, dir, rootsPath string) *x509.CertPool {
	t.Helper()
	caKey, key := newKey(t), newKey(t)
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mason suite TLS root"},
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
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	for name, b := range map[string][]byte{
		"cert.pem": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}),
		"key.pem":  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(rootsPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pool
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// buildMason builds cmd/mason into a temp directory.
func buildMason(ctx context.Context, t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mason")
	harness.MustRun(ctx, t, nil, "go", "build", "-o", bin, "github.com/quarry-ca/quarry/cmd/mason")
	return bin
}

// masonRun runs the binary and returns its exit code, stdout and stderr.
func masonRun(ctx context.Context, t *testing.T, bin string, args ...string) (int, string, string) {
	t.Helper()
	t.Logf("$ %s", harness.CommandLine(nil, append([]string{"mason"}, args...)))
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running mason: %v", err)
	}
	return code, stdout.String(), stderr.String()
}
