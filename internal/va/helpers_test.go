package va

import (
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/core/coretest"
	"github.com/quarry-ca/quarry/internal/testdns"
)

const (
	testToken   = "tok_Ab-12"
	testKeyAuth = testToken + ".thumbprint_XYZ-0123456789"
)

// startDNS runs a test DNS server answering every unset name with 127.0.0.1.
func startDNS(t *testing.T) *testdns.Server {
	t.Helper()
	return testdns.StartTest(t, testdns.Config{DefaultA: []net.IP{net.IPv4(127, 0, 0, 1)}})
}

func newTestVA(t *testing.T, cfg Config) *VA {
	t.Helper()
	v, err := New(cfg, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return v
}

// startHTTP serves the handler build makes, given the port it will be
// served on, on 127.0.0.1 and returns the port.
func startHTTP(t *testing.T, host string, build func(port int) http.Handler) int {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatalf("listening: %v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	srv := httptest.NewUnstartedServer(build(port))
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return port
}

// freePort returns a loopback port nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listening: %v", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	return port
}

func dnsID(name string) acme.Identifier {
	return acme.Identifier{Type: acme.IdentifierDNS, Value: name}
}

func ipID(ip string) acme.Identifier {
	return acme.Identifier{Type: acme.IdentifierIP, Value: ip}
}

// slowHandler answers after delay, or when the client goes away.
func slowHandler(delay time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
		}
		_, _ = w.Write([]byte(testKeyAuth))
	}
}

// checkErr fails t unless err is nil when wantKind is empty, or a
// *core.Error of wantKind whose detail contains wantDetail.
func checkErr(t *testing.T, err error, wantKind core.Kind, wantDetail string) {
	t.Helper()
	coretest.CheckKind(t, err, wantKind, wantDetail)
}
