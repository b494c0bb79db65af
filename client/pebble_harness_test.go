package client

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/testdns"
	"github.com/quarry-ca/quarry/test/harness"
)

// pebble is a Pebble ACME server run for one test, with the http-01
// responder its VA fetches from.
type pebble struct {
	*harness.Pebble
	http01 *http01Server
}

// startPebble runs /usr/bin/pebble on free loopback ports with its DNS
// pointed at an in-process server that answers 127.0.0.1 for every name,
// and an in-process http-01 responder on its httpPort. Nonce rejection
// stays at Pebble's default (5%) so badNonce retries happen for real; one
// alternate root gives every certificate an alternate chain.
func startPebble(t *testing.T) *pebble {
	t.Helper()
	harness.RequireTools(t, os.Getenv("CI") == "true", "pebble")
	if testing.Short() {
		t.Skip("skipping the Pebble suite in -short mode")
	}
	ctx := t.Context()
	dnsSrv := testdns.StartTest(t, testdns.Config{DefaultA: []net.IP{net.IPv4(127, 0, 0, 1)}})
	h01 := startHTTP01(t)
	p := harness.StartPebbleServer(ctx, t, harness.PebbleOptions{
		DNS: dnsSrv.Addr(), VAHTTPPort: h01.port, VATLSPort: harness.FreePort(t),
		Strict: true, AlternateRoots: 1, RejectNonces: true,
	})
	return &pebble{Pebble: p, http01: h01}
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

func mustKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
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
