package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	_ "modernc.org/sqlite" // reads Quarry's database size
)

// readyTimeout bounds a CA's start-up, key generation included.
const readyTimeout = 90 * time.Second

// ports are where acmeload's responders listen; both CAs validate there.
type ports struct {
	HTTP, TLS, DNS int
}

// target is one running CA under test.
type target struct {
	name      string
	dirURL    string
	rootsFile string
	proc      *proc
	// dbPath is the SQLite database whose growth is measured; empty for
	// a CA that keeps everything in memory.
	dbPath string
	// pprofURL is the CA's profiling endpoint, when it has one.
	pprofURL string
}

// storage is storageBytes, or 0 for a CA without a database.
func (t *target) storage(ctx context.Context) (int64, error) {
	if t.dbPath == "" {
		return 0, nil
	}
	return t.storageBytes(ctx)
}

// storageBytes is the logical size of the CA's database: its page count
// times its page size, which counts pages still in the write-ahead log.
// The files' sizes would not do while the server runs: the log grows to
// its checkpoint size at once and is then reused, never shrinking.
func (t *target) storageBytes(ctx context.Context) (int64, error) {
	db, err := sql.Open("sqlite", "file:"+t.dbPath+"?_query_only=1&_busy_timeout=5000")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var pages, size int64
	if err := db.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		return 0, fmt.Errorf("reading %s's page count: %w", t.dbPath, err)
	}
	if err := db.QueryRowContext(ctx, "PRAGMA page_size").Scan(&size); err != nil {
		return 0, fmt.Errorf("reading %s's page size: %w", t.dbPath, err)
	}
	return pages * size, nil
}

// startQuarry starts `quarry serve` on SQLite with durable commits (the
// default: synchronous=FULL in WAL mode) and the dev preset, whose rate
// limits do not throttle a benchmark.
func startQuarry(ctx context.Context, bin, dir string, p ports, pprof bool) (*target, error) {
	dataDir := filepath.Join(dir, "quarry-data")
	listen, err := loopbackAddr()
	if err != nil {
		return nil, err
	}
	httpListen, err := loopbackAddr()
	if err != nil {
		return nil, err
	}
	argv := []string{bin, "serve",
		"--data-dir", dataDir, "--listen", listen, "--http-listen", httpListen,
		"--preset", "dev", "--allow-private-addresses",
		"--va-http-port", strconv.Itoa(p.HTTP), "--va-tls-port", strconv.Itoa(p.TLS),
		"--dns-resolver", net.JoinHostPort("127.0.0.1", strconv.Itoa(p.DNS)),
	}
	t := &target{
		name: "quarry", dirURL: "https://" + listen + "/directory",
		rootsFile: filepath.Join(dataDir, "roots.pem"),
		dbPath:    filepath.Join(dataDir, "quarry.db"),
	}
	if pprof {
		addr, err := loopbackAddr()
		if err != nil {
			return nil, err
		}
		argv = append(argv, "--pprof-listen", addr)
		t.pprofURL = "http://" + addr + "/debug/pprof/"
	}
	if t.proc, err = startProc("quarry", filepath.Join(dir, "quarry.log"), nil, argv...); err != nil {
		return nil, err
	}
	if err := waitReady(ctx, t); err != nil {
		return nil, err
	}
	return t, nil
}

// startPebble starts Debian's pebble with its validation pointed at the
// responders, without its random validation delay and nonce rejections
// (PEBBLE_VA_NOSLEEP=1, PEBBLE_WFE_NONCEREJECT=0), which would measure
// Pebble's test features rather than its speed.
func startPebble(ctx context.Context, dir string, p ports) (*target, error) {
	pdir := filepath.Join(dir, "pebble")
	if err := os.MkdirAll(pdir, 0o700); err != nil {
		return nil, err
	}
	certFile, keyFile, rootsFile, err := writeTLSCert(pdir)
	if err != nil {
		return nil, err
	}
	listen, err := loopbackAddr()
	if err != nil {
		return nil, err
	}
	mgmt, err := loopbackAddr()
	if err != nil {
		return nil, err
	}
	cfg := map[string]any{"pebble": map[string]any{
		"listenAddress": listen, "managementListenAddress": mgmt,
		"certificate": certFile, "privateKey": keyFile,
		"httpPort": p.HTTP, "tlsPort": p.TLS,
		"ocspResponderURL": "", "externalAccountBindingRequired": false,
	}}
	b, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	cfgFile := filepath.Join(pdir, "pebble-config.json")
	if err := os.WriteFile(cfgFile, b, 0o600); err != nil {
		return nil, err
	}
	env := []string{"PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0"}
	t := &target{name: "pebble", dirURL: "https://" + listen + "/dir", rootsFile: rootsFile}
	t.proc, err = startProc("pebble", filepath.Join(dir, "pebble.log"), env,
		"pebble", "-config", cfgFile, "-dnsserver", net.JoinHostPort("127.0.0.1", strconv.Itoa(p.DNS)))
	if err != nil {
		return nil, err
	}
	if err := waitReady(ctx, t); err != nil {
		return nil, err
	}
	return t, nil
}

func loopbackAddr() (string, error) {
	port, err := freePort()
	if err != nil {
		return "", err
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), nil
}

// waitReady polls until the CA serves its directory over TLS its roots
// file vouches for, or the process exits.
func waitReady(ctx context.Context, t *target) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	var last error
	for {
		if last = getDirectory(ctx, t.dirURL, t.rootsFile); last == nil {
			return nil
		}
		select {
		case <-t.proc.done:
			return fmt.Errorf("%s exited before serving %s (%v); see its log", t.name, t.dirURL, t.proc.err)
		case <-ctx.Done():
			_ = t.proc.stop()
			return fmt.Errorf("%s did not serve %s within %s: %v", t.name, t.dirURL, readyTimeout, last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func getDirectory(ctx context.Context, url, rootsFile string) error {
	roots, err := os.ReadFile(rootsFile)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(roots) {
		return fmt.Errorf("no certificates in %s", rootsFile)
	}
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer c.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("directory answered %s", resp.Status)
	}
	return nil
}

// writeTLSCert makes a throw-away root and a certificate for 127.0.0.1
// signed by it, and writes the certificate, its key and the root.
func writeTLSCert(dir string) (certFile, keyFile, rootsFile string, err error) {
	now := time.Now()
	rootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", "", err
	}
	rootTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bench TLS root"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	rootDER, err := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, rootKey.Public(), rootKey)
	if err != nil {
		return "", "", "", err
	}
	root, err := x509.ParseCertificate(rootDER)
	if err != nil {
		return "", "", "", err
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", "", err
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, root, leafKey.Public(), rootKey)
	if err != nil {
		return "", "", "", err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(leafKey)
	if err != nil {
		return "", "", "", err
	}
	certFile, keyFile, rootsFile = filepath.Join(dir, "tls-cert.pem"), filepath.Join(dir, "tls-key.pem"), filepath.Join(dir, "roots.pem")
	for path, block := range map[string]*pem.Block{
		certFile:  {Type: "CERTIFICATE", Bytes: leafDER},
		keyFile:   {Type: "PRIVATE KEY", Bytes: keyDER},
		rootsFile: {Type: "CERTIFICATE", Bytes: rootDER},
	} {
		if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
			return "", "", "", err
		}
	}
	return certFile, keyFile, rootsFile, nil
}
