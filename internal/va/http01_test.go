package va

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// route is one canned response; "{port}" in location becomes the
// server's port.
type route struct {
	status   int
	body     string
	location string
	delay    time.Duration
}

func routesHandler(routes map[string]route) func(port int) http.Handler {
	return func(port int) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rt, ok := routes[r.URL.Path]
			if !ok {
				http.NotFound(w, r)
				return
			}
			if rt.delay > 0 {
				slowHandler(rt.delay)(w, r)
				return
			}
			if rt.location != "" {
				w.Header().Set("Location", strings.ReplaceAll(rt.location, "{port}", strconv.Itoa(port)))
			}
			w.WriteHeader(rt.status)
			_, _ = w.Write([]byte(rt.body))
		})
	}
}

// redirectChain makes n redirects from the challenge path through
// /r1 … /rn, the last of which serves the key authorization.
func redirectChain(n int) map[string]route {
	routes := map[string]route{}
	from := acme.HTTP01Path(testToken)
	for i := 1; i <= n; i++ {
		to := fmt.Sprintf("/r%d", i)
		routes[from] = route{status: http.StatusFound, location: to}
		from = to
	}
	routes[from] = route{status: http.StatusOK, body: testKeyAuth}
	return routes
}

func TestHTTP01(t *testing.T) {
	dnsSrv := startDNS(t)
	dnsSrv.SetRcode("nx.test", dns.RcodeNameError)
	dnsSrv.SetRcode("broken.test", dns.RcodeServerFailure)
	dnsSrv.SetA("dual.test", net.IPv6loopback, net.IPv4(127, 0, 0, 1))
	cp := acme.HTTP01Path(testToken)
	ok := func(body string) map[string]route { return map[string]route{cp: {status: 200, body: body}} }
	cases := []struct {
		name       string
		id         acme.Identifier
		routes     map[string]route
		noServer   bool
		timeout    time.Duration
		wantKind   core.Kind
		wantDetail string
		wantHops   int
	}{
		{name: "pass", routes: ok(testKeyAuth), wantHops: 1},
		{name: "trailing whitespace is trimmed", routes: ok(testKeyAuth + "\r\n \t\n"), wantHops: 1},
		{name: "IP identifier", id: ipID("127.0.0.1"), routes: ok(testKeyAuth), wantHops: 1},
		{name: "IPv6 then IPv4 fallback", id: dnsID("dual.test"), routes: ok(testKeyAuth), wantHops: 1},
		{name: "wrong body", routes: ok("not.it"), wantKind: core.ErrUnauthorized,
			wantDetail: `did not match this challenge: expected "` + testKeyAuth + `", got "not.it"`, wantHops: 1},
		{name: "leading whitespace is not trimmed", routes: ok(" " + testKeyAuth), wantKind: core.ErrUnauthorized,
			wantDetail: "did not match", wantHops: 1},
		{name: "control characters are quoted", routes: ok("evil\x1b[2J"), wantKind: core.ErrUnauthorized,
			wantDetail: `got "evil\x1b[2J"`, wantHops: 1},
		{name: "404", routes: map[string]route{}, wantKind: core.ErrUnauthorized,
			wantDetail: "127.0.0.1: Invalid response from http://a.test:", wantHops: 1},
		{name: "oversized body", routes: ok(testKeyAuth + strings.Repeat("x", 4000)), wantKind: core.ErrUnauthorized,
			wantDetail: "body is larger than", wantHops: 1},
		{name: "redirect chain to a valid file", routes: map[string]route{
			cp:       {status: http.StatusFound, location: "/one"},
			"/one":   {status: http.StatusMovedPermanently, location: "http://b.test:{port}/two"},
			"/two":   {status: http.StatusTemporaryRedirect, location: "http://127.0.0.1:{port}/three"},
			"/three": {status: http.StatusOK, body: testKeyAuth},
		}, wantHops: 4},
		{name: "ten redirects are followed", routes: redirectChain(10), wantHops: 11},
		{name: "eleven redirects are refused", routes: redirectChain(11), wantKind: core.ErrConnection,
			wantDetail: "Too many redirects", wantHops: 11},
		{name: "redirect loop", routes: map[string]route{
			cp:   {status: http.StatusFound, location: "/a"},
			"/a": {status: http.StatusFound, location: "/b"},
			"/b": {status: http.StatusFound, location: "/a"},
		}, wantKind: core.ErrConnection, wantDetail: "Redirect loop detected", wantHops: 3},
		{name: "redirect to a disallowed port", routes: map[string]route{
			cp: {status: http.StatusFound, location: "http://a.test:8081/x"},
		}, wantKind: core.ErrConnection, wantDetail: "Invalid port in redirect target", wantHops: 1},
		{name: "redirect to another scheme", routes: map[string]route{
			cp: {status: http.StatusFound, location: "ftp://a.test/x"},
		}, wantKind: core.ErrConnection, wantDetail: "Invalid protocol scheme", wantHops: 1},
		{name: "redirect to an invalid host", routes: map[string]route{
			cp: {status: http.StatusFound, location: "http://under_score.test:{port}/x"},
		}, wantKind: core.ErrConnection, wantDetail: "Invalid host in redirect target", wantHops: 1},
		{name: "slow server times out", routes: map[string]route{cp: {delay: 5 * time.Second}},
			timeout: 300 * time.Millisecond, wantKind: core.ErrConnection, wantDetail: "Timeout after connect", wantHops: 1},
		{name: "connection refused", noServer: true, wantKind: core.ErrConnection,
			wantDetail: "Connection refused", wantHops: 1},
		{name: "NXDOMAIN", id: dnsID("nx.test"), routes: ok(testKeyAuth), wantKind: core.ErrDNS,
			wantDetail: "NXDOMAIN looking up A for nx.test", wantHops: 1},
		{name: "SERVFAIL", id: dnsID("broken.test"), routes: ok(testKeyAuth), wantKind: core.ErrDNS,
			wantDetail: "SERVFAIL looking up A for broken.test", wantHops: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			port := freePort(t)
			if !tc.noServer {
				port = startHTTP(t, "127.0.0.1", routesHandler(tc.routes))
			}
			if tc.id.Value == "" {
				tc.id = dnsID("a.test")
			}
			v := newTestVA(t, Config{HTTPPort: port, DNSResolver: dnsSrv.Addr(), AllowPrivate: true, Timeout: tc.timeout})
			records, err := v.Validate(t.Context(), Request{
				Identifier: tc.id, Challenge: acme.ChallengeHTTP01, Token: testToken, KeyAuthorization: testKeyAuth,
			})
			t.Logf("result: %v", err)
			checkErr(t, err, tc.wantKind, tc.wantDetail)
			if len(records) != tc.wantHops {
				t.Fatalf("got %d records, want %d: %+v", len(records), tc.wantHops, records)
			}
			checkHTTPRecords(t, records, port, tc.wantKind == core.ErrDNS)
		})
	}
}

// checkHTTPRecords wants every hop to name its URL, host, port and
// addresses; a DNS failure leaves the addresses empty.
func checkHTTPRecords(t *testing.T, records []acme.ValidationRecord, port int, dnsFailed bool) {
	t.Helper()
	for i, r := range records {
		if r.URL == "" || r.Hostname == "" || r.Port != strconv.Itoa(port) {
			t.Errorf("record %d: got %+v, want URL, hostname and port %d", i, r, port)
		}
		if dnsFailed {
			continue
		}
		if len(r.AddressesResolved) == 0 || r.AddressUsed != "127.0.0.1" {
			t.Errorf("record %d: got addresses %v used %q, want some resolved and 127.0.0.1 used", i, r.AddressesResolved, r.AddressUsed)
		}
	}
}

func TestHTTP01RecordsNameEachHop(t *testing.T) {
	dnsSrv := startDNS(t)
	dnsSrv.SetA("dual.test", net.IPv6loopback, net.IPv4(127, 0, 0, 1))
	cp := acme.HTTP01Path(testToken)
	port := startHTTP(t, "127.0.0.1", routesHandler(map[string]route{
		cp:      {status: http.StatusFound, location: "http://dual.test:{port}/next?q=1#frag"},
		"/next": {status: http.StatusOK, body: testKeyAuth},
	}))
	v := newTestVA(t, Config{HTTPPort: port, DNSResolver: dnsSrv.Addr(), AllowPrivate: true})
	records, err := v.Validate(t.Context(), Request{
		Identifier: dnsID("a.test"), Challenge: acme.ChallengeHTTP01, Token: testToken, KeyAuthorization: testKeyAuth,
	})
	checkErr(t, err, "", "")
	p := strconv.Itoa(port)
	want := []acme.ValidationRecord{
		{URL: "http://a.test:" + p + cp, Hostname: "a.test", Port: p, AddressesResolved: []string{"127.0.0.1"},
			AddressUsed: "127.0.0.1", ResolverAddrs: []string{dnsSrv.Addr()}},
		{URL: "http://dual.test:" + p + "/next?q=1", Hostname: "dual.test", Port: p, AddressesResolved: []string{"::1", "127.0.0.1"},
			AddressUsed: "127.0.0.1", ResolverAddrs: []string{dnsSrv.Addr()}},
	}
	if got, wantS := fmt.Sprintf("%+v", records), fmt.Sprintf("%+v", want); got != wantS {
		t.Fatalf("got records %s, want %s", got, wantS)
	}
}

func TestHTTP01RedirectToHTTPS(t *testing.T) {
	dnsSrv := startDNS(t)
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(testKeyAuth))
	}))
	t.Cleanup(tlsSrv.Close)
	tlsPort := tlsSrv.Listener.Addr().(*net.TCPAddr).Port
	cases := []struct {
		name     string
		location string
	}{
		{name: "explicit port", location: "https://b.test:" + strconv.Itoa(tlsPort) + "/x"},
		{name: "default port is the configured TLS port", location: "https://b.test/x"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			port := startHTTP(t, "127.0.0.1", routesHandler(map[string]route{
				acme.HTTP01Path(testToken): {status: http.StatusFound, location: tc.location},
			}))
			v := newTestVA(t, Config{HTTPPort: port, TLSPort: tlsPort, DNSResolver: dnsSrv.Addr(), AllowPrivate: true})
			records, err := v.Validate(t.Context(), Request{
				Identifier: dnsID("a.test"), Challenge: acme.ChallengeHTTP01, Token: testToken, KeyAuthorization: testKeyAuth,
			})
			checkErr(t, err, "", "")
			if len(records) != 2 || records[1].Port != strconv.Itoa(tlsPort) {
				t.Fatalf("got records %+v, want 2 with the second on port %d", records, tlsPort)
			}
		})
	}
}

func TestSystemResolver(t *testing.T) {
	port := startHTTP(t, "127.0.0.1", routesHandler(map[string]route{
		acme.HTTP01Path(testToken): {status: http.StatusOK, body: testKeyAuth},
	}))
	v := newTestVA(t, Config{HTTPPort: port, AllowPrivate: true})
	records, err := v.Validate(t.Context(), Request{
		Identifier: dnsID("localhost"), Challenge: acme.ChallengeHTTP01, Token: testToken, KeyAuthorization: testKeyAuth,
	})
	checkErr(t, err, "", "")
	if len(records) != 1 || records[0].AddressUsed != "127.0.0.1" {
		t.Fatalf("got records %+v, want one that used 127.0.0.1", records)
	}
}
