package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	xacme "golang.org/x/crypto/acme"

	"github.com/quarry-ca/quarry/internal/config"
	"github.com/quarry-ca/quarry/internal/server"
	"github.com/quarry-ca/quarry/internal/testdns"
)

// env is an in-process Quarry with the responders a subscriber would run:
// an http-01 web server, a tls-alpn-01 server, and DNS the test controls.
type env struct {
	t     *testing.T
	srv   *server.Server
	dns   *testdns.Server
	roots *x509.CertPool

	stopOnce sync.Once
	stopFn   func()

	mu       sync.Mutex
	http01   map[string]string          // token -> key authorization
	tlsCerts map[string]tls.Certificate // SNI -> challenge certificate
}

func startEnv(t *testing.T, mutate func(*config.Config)) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	e := &env{t: t, http01: map[string]string{}, tlsCerts: map[string]tls.Certificate{}}

	var err error
	e.dns, err = testdns.Start(ctx, testdns.Config{DefaultA: []net.IP{net.IPv4(127, 0, 0, 1)}})
	if err != nil {
		t.Fatalf("starting DNS: %v", err)
	}
	httpLn := listen(t)
	go http.Serve(httpLn, http.HandlerFunc(e.serveHTTP01))
	tlsLn := tls.NewListener(listen(t), &tls.Config{
		NextProtos:     []string{"acme-tls/1"},
		GetCertificate: e.tlsCert,
	})
	go serveTLS(tlsLn)

	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Listen, cfg.HTTPListen = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Preset = config.PresetDev
	cfg.VA.HTTPPort = port(t, httpLn.Addr())
	cfg.VA.TLSPort = port(t, tlsLn.Addr())
	cfg.VA.DNSResolver = e.dns.Addr()
	cfg.VA.Timeout = config.Duration(5 * time.Second)
	if mutate != nil {
		mutate(&cfg)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	e.srv, err = server.New(ctx, cfg, log)
	if err != nil {
		t.Fatalf("starting quarry: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- e.srv.Run(ctx) }()
	e.stopFn = func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("quarry shut down with %v", err)
		}
		httpLn.Close()
		tlsLn.Close()
		e.dns.Close()
	}
	t.Cleanup(e.stop)
	pem, err := os.ReadFile(e.srv.RootsPath())
	if err != nil {
		t.Fatalf("reading roots: %v", err)
	}
	e.roots = x509.NewCertPool()
	if !e.roots.AppendCertsFromPEM(pem) {
		t.Fatal("roots.pem holds no certificates")
	}
	return e
}

// stop shuts Quarry and the responders down; later calls do nothing.
func (e *env) stop() { e.stopOnce.Do(e.stopFn) }

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	return ln
}

func port(t *testing.T, a net.Addr) int {
	_, p, _ := net.SplitHostPort(a.String())
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("port of %v: %v", a, err)
	}
	return n
}

func serveTLS(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			_ = c.(*tls.Conn).Handshake()
			c.Close()
		}()
	}
}

func (e *env) serveHTTP01(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.URL.Path, "/.well-known/acme-challenge/")
	e.mu.Lock()
	ka, found := e.http01[token]
	e.mu.Unlock()
	if !ok || !found {
		http.NotFound(w, r)
		return
	}
	io.WriteString(w, ka)
}

func (e *env) tlsCert(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.tlsCerts[hello.ServerName]
	if !ok {
		return nil, io.EOF
	}
	return &c, nil
}

// client returns an x/crypto/acme client with a fresh account key that
// trusts Quarry's roots.
func (e *env) client() *xacme.Client {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		e.t.Fatal(err)
	}
	return &xacme.Client{
		Key:          key,
		DirectoryURL: e.srv.DirectoryURL(),
		HTTPClient: &http.Client{Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: e.roots},
		}, Timeout: 30 * time.Second},
	}
}

// register creates an account for c.
func (e *env) register(ctx context.Context, c *xacme.Client) *xacme.Account {
	e.t.Helper()
	acct, err := c.Register(ctx, &xacme.Account{Contact: []string{"mailto:admin@example.org"}}, xacme.AcceptTOS)
	if err != nil {
		e.t.Fatalf("register: %v", err)
	}
	return acct
}
