package va

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
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

// checkErr fails t unless err is nil when wantKind is empty, or a
// *core.Error of wantKind whose detail contains wantDetail.
func checkErr(t *testing.T, err error, wantKind core.Kind, wantDetail string) {
	t.Helper()
	if wantKind == "" {
		if err != nil {
			t.Fatalf("got error %v, want success", err)
		}
		return
	}
	var ce *core.Error
	if !errors.As(err, &ce) {
		t.Fatalf("got error %v (%T), want *core.Error of kind %s", err, err, wantKind)
	}
	if !errors.Is(err, wantKind) {
		t.Fatalf("got kind %s (%q), want %s", ce.Kind, ce.Detail, wantKind)
	}
	if !strings.Contains(ce.Detail, wantDetail) {
		t.Fatalf("got detail %q, want it to contain %q", ce.Detail, wantDetail)
	}
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
