package harness

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// PebbleOptions says how to start Debian's Pebble in the CA's role.
type PebbleOptions struct {
	DNS        string // resolver host:port for validation
	VAHTTPPort int
	VATLSPort  int
	// Strict runs Pebble with -strict, so it refuses what RFC 8555
	// deprecates.
	Strict bool
	// AlternateRoots is how many alternate issuance hierarchies Pebble
	// adds, so that every certificate comes with alternate chains.
	AlternateRoots int
	// RejectNonces keeps Pebble's default of rejecting 5% of nonces, so a
	// client's badNonce retries happen for real; otherwise they only slow
	// a suite down.
	RejectNonces bool
}

// Pebble is a running Pebble with its management interface.
type Pebble struct {
	*CA
	MgmtURL string
	// TLSRootFile and TLSRoots trust Pebble's HTTPS listeners and nothing
	// else; CA.RootsFile also holds Pebble's main issuance root.
	TLSRootFile string
	TLSRoots    *x509.CertPool
	alternates  int
}

// StartPebble starts /usr/bin/pebble with a fresh TLS certificate for
// 127.0.0.1 and localhost, and writes a roots file holding that
// certificate's root and Pebble's issuance root.
func StartPebble(ctx context.Context, t testing.TB, opts PebbleOptions) *CA {
	t.Helper()
	return StartPebbleServer(ctx, t, opts).CA
}

// StartPebbleServer is StartPebble for a test that also asks Pebble's
// management interface about roots and certificates.
func StartPebbleServer(ctx context.Context, t testing.TB, opts PebbleOptions) *Pebble {
	t.Helper()
	dir := t.TempDir()
	certFile, keyFile, tlsRoot := writeServerCert(t, dir)
	listen := net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t)))
	mgmt := net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t)))
	cfg := map[string]any{"pebble": map[string]any{
		"listenAddress":                  listen,
		"managementListenAddress":        mgmt,
		"certificate":                    certFile,
		"privateKey":                     keyFile,
		"httpPort":                       opts.VAHTTPPort,
		"tlsPort":                        opts.VATLSPort,
		"ocspResponderURL":               "",
		"externalAccountBindingRequired": false,
	}}
	cfgFile := filepath.Join(dir, "pebble-config.json")
	writeJSON(t, cfgFile, cfg)
	tlsRootFile := filepath.Join(dir, "tls-root.pem")
	writeFile(t, tlsRootFile, tlsRoot)
	rootsFile := filepath.Join(dir, "roots.pem")
	writeFile(t, rootsFile, tlsRoot)
	tlsRoots := x509.NewCertPool()
	if !tlsRoots.AppendCertsFromPEM(tlsRoot) {
		t.Fatalf("no certificate in the TLS root just made")
	}
	// Pebble sleeps before validating unless told not to, which only slows
	// a suite down.
	env := []string{"PEBBLE_VA_NOSLEEP=1"}
	if !opts.RejectNonces {
		env = append(env, "PEBBLE_WFE_NONCEREJECT=0")
	}
	if opts.AlternateRoots > 0 {
		env = append(env, "PEBBLE_ALTERNATE_ROOTS="+strconv.Itoa(opts.AlternateRoots))
	}
	argv := []string{"pebble", "-config", cfgFile, "-dnsserver", opts.DNS}
	if opts.Strict {
		argv = append(argv, "-strict")
	}
	p := &Pebble{
		CA: &CA{
			Name:         "pebble",
			DirectoryURL: "https://" + listen + "/dir",
			RootsFile:    rootsFile,
			Proc:         StartProc(t, "pebble", env, argv...),
		},
		MgmtURL:     "https://" + mgmt,
		TLSRootFile: tlsRootFile,
		TLSRoots:    tlsRoots,
		alternates:  opts.AlternateRoots,
	}
	mustReady(ctx, t, p.CA)
	issuanceRoot, err := httpsGet(ctx, p.MgmtURL+"/roots/0", tlsRootFile)
	if err != nil {
		t.Fatalf("fetching pebble's root: %v", err)
	}
	writeFile(t, rootsFile, append(tlsRoot, issuanceRoot...))
	return p
}

// HTTPClient is a client trusting Pebble's HTTPS listeners.
func (p *Pebble) HTTPClient() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: p.TLSRoots},
	}}
}

// Mgmt GETs a path from Pebble's management interface.
func (p *Pebble) Mgmt(ctx context.Context, t testing.TB, path string) []byte {
	t.Helper()
	body, err := httpsGet(ctx, p.MgmtURL+path, p.TLSRootFile)
	if err != nil {
		t.Fatalf("pebble management: %v", err)
	}
	return body
}

// Root returns Pebble's issuance root number i: 0 is the main one, 1 and
// up the alternates.
func (p *Pebble) Root(ctx context.Context, t testing.TB, i int) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(p.Mgmt(ctx, t, "/roots/"+strconv.Itoa(i)))
	if block == nil {
		t.Fatalf("pebble root %d is not PEM", i)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("parsing pebble root %d: %v", i, err)
	}
	return cert
}

// IssuanceRoots returns Pebble's main issuance root and its alternates.
func (p *Pebble) IssuanceRoots(ctx context.Context, t testing.TB) *x509.CertPool {
	t.Helper()
	pool := x509.NewCertPool()
	for i := range p.alternates + 1 {
		pool.AddCert(p.Root(ctx, t, i))
	}
	return pool
}

// CertStatus is Pebble's view of a certificate: "Valid" or "Revoked".
func (p *Pebble) CertStatus(ctx context.Context, t testing.TB, cert *x509.Certificate) string {
	t.Helper()
	var st struct{ Status string }
	body := p.Mgmt(ctx, t, fmt.Sprintf("/cert-status-by-serial/%x", cert.SerialNumber))
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatalf("decoding pebble's status of %x: %v", cert.SerialNumber, err)
	}
	return st.Status
}

func writeJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatalf("encoding %s: %v", path, err)
	}
	writeFile(t, path, b)
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatalf("writing %s: %v", path, err)
	}
}
