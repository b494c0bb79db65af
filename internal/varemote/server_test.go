package varemote_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/core/coretest"
	"github.com/quarry-ca/quarry/internal/testdns"
	"github.com/quarry-ca/quarry/internal/va"
	"github.com/quarry-ca/quarry/internal/varemote"
	"github.com/quarry-ca/quarry/internal/varemote/varemotetest"
)

const (
	token   = "tok_Ab-12"
	keyAuth = token + ".thumbprint_XYZ-0123456789"
	caaName = "quarry.test"
)

func startDNS(t *testing.T) *testdns.Server {
	t.Helper()
	return testdns.StartTest(t, testdns.Config{DefaultA: []net.IP{net.IPv4(127, 0, 0, 1)}})
}

// startPerspective serves a remote perspective resolving through dnsAddr
// and validating http-01 on httpPort (0: 80), and returns its URL.
func startPerspective(t *testing.T, pki varemotetest.PKI, name, dnsAddr string, httpPort int) string {
	t.Helper()
	return varemotetest.StartPerspective(t, pki, name, va.Config{DNSResolver: dnsAddr, HTTPPort: httpPort, AllowPrivate: true, Timeout: 3 * time.Second})
}

// TestCorroboration runs a primary and three in-process perspectives, each
// on its own DNS server: the primary and perspective a share DNS server A,
// b uses B, c uses C. What a name's records are on B and C decides how many
// perspectives dissent.
func TestCorroboration(t *testing.T) {
	pki := varemotetest.NewPKI(t)
	dnsA, dnsB, dnsC := startDNS(t), startDNS(t), startDNS(t)
	httpPort := serveHTTP01(t)
	var remotes []varemote.Remote
	for _, p := range []struct{ name, dns string }{{"a", dnsA.Addr()}, {"b", dnsB.Addr()}, {"c", dnsC.Addr()}} {
		url := startPerspective(t, pki, p.name, p.dns, httpPort)
		tlsCfg, err := varemote.ClientTLS(pki.ClientCert, pki.ClientKey, pki.CA)
		if err != nil {
			t.Fatalf("ClientTLS: %v", err)
		}
		c, err := varemote.NewClient(varemote.ClientConfig{Name: p.name, URL: url, TLS: tlsCfg, CAAIdentities: []string{caaName}})
		if err != nil {
			t.Fatalf("NewClient: %v", err)
		}
		t.Cleanup(c.Close)
		remotes = append(remotes, c)
	}
	primary, err := va.New(va.Config{DNSResolver: dnsA.Addr(), HTTPPort: httpPort, AllowPrivate: true, Timeout: 3 * time.Second, CAAIdentities: []string{caaName}}, nil)
	if err != nil {
		t.Fatalf("va.New: %v", err)
	}
	m, err := varemote.NewMulti(varemote.MultiConfig{Timeout: 5 * time.Second, MaxFailures: -1}, primary, remotes, nil)
	if err != nil {
		t.Fatalf("NewMulti: %v", err)
	}
	good := acme.DNS01Value(keyAuth)
	forbid := &dns.CAA{Tag: "issue", Value: "other-ca.example"}

	tests := []struct {
		name       string
		challenge  acme.ChallengeType // "" means dns-01
		setup      func(name string)  // records on B and C; A always has the right ones
		dissent    []string           // the perspectives that must fail on their own
		wantKind   core.Kind
		wantDetail string
	}{
		// For http-01 the responder listens on 127.0.0.1 only; a perspective
		// whose DNS answers 127.0.0.2 finds nothing there.
		{name: "http-01, all agree", challenge: acme.ChallengeHTTP01, setup: func(string) {}},
		{name: "http-01, one perspective sees another address", challenge: acme.ChallengeHTTP01, setup: func(n string) {
			dnsC.SetA(n, net.IPv4(127, 0, 0, 2))
		}, dissent: []string{"c"}},
		{name: "http-01, two perspectives see another address", challenge: acme.ChallengeHTTP01, setup: func(n string) {
			dnsB.SetA(n, net.IPv4(127, 0, 0, 2))
			dnsC.SetA(n, net.IPv4(127, 0, 0, 2))
		}, dissent: []string{"b", "c"}, wantKind: core.ErrConnection, wantDetail: "validation succeeded from 1 of 3 remote perspectives; at least 2 needed; a remote perspective reported: "},
		{name: "all agree", setup: func(n string) {
			dnsB.AddTXT("_acme-challenge."+n, good)
			dnsC.AddTXT("_acme-challenge."+n, good)
		}},
		{name: "one perspective sees another TXT", setup: func(n string) {
			dnsB.AddTXT("_acme-challenge."+n, good)
			dnsC.AddTXT("_acme-challenge."+n, "not-the-digest")
		}, dissent: []string{"c"}},
		{name: "two perspectives see another TXT", setup: func(n string) {
			dnsB.AddTXT("_acme-challenge."+n, "not-the-digest")
			dnsC.AddTXT("_acme-challenge."+n, "not-the-digest")
		}, dissent: []string{"b", "c"}, wantKind: core.ErrUnauthorized,
			wantDetail: "validation succeeded from 1 of 3 remote perspectives; at least 2 needed; a remote perspective reported: Incorrect TXT record"},
		{name: "one perspective sees a forbidding CAA", setup: func(n string) {
			dnsB.AddTXT("_acme-challenge."+n, good)
			dnsC.AddTXT("_acme-challenge."+n, good)
			dnsC.SetCAA(n, forbid)
		}, dissent: []string{"c"}},
		{name: "two perspectives see a forbidding CAA", setup: func(n string) {
			dnsB.AddTXT("_acme-challenge."+n, good)
			dnsC.AddTXT("_acme-challenge."+n, good)
			dnsB.SetCAA(n, forbid)
			dnsC.SetCAA(n, forbid)
		}, dissent: []string{"b", "c"}, wantKind: core.ErrCAA, wantDetail: "CAA permitted issuance from 1 of 3 remote perspectives; at least 2 needed"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := string(rune('a'+i)) + ".mpic.test"
			dnsA.AddTXT("_acme-challenge."+name, good)
			tt.setup(name)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			id := acme.Identifier{Type: acme.IdentifierDNS, Value: name}
			challenge := tt.challenge
			if challenge == "" {
				challenge = acme.ChallengeDNS01
			}
			records, err := m.Validate(ctx, va.Request{Identifier: id, Challenge: challenge, Token: token, KeyAuthorization: keyAuth})
			if err == nil {
				err = m.CheckCAA(ctx, va.CAARequest{Identifier: id, Method: challenge})
			}
			coretest.CheckKind(t, err, tt.wantKind, tt.wantDetail)
			if len(records) == 0 || records[0].Hostname != name {
				t.Errorf("records: got %+v, want the primary's one record for %s", records, name)
			}
			// Each perspective asked alone: the dissent is real, and only
			// where the case put it.
			for _, r := range remotes {
				_, err := r.Validate(ctx, va.Request{Identifier: id, Challenge: challenge, Token: token, KeyAuthorization: keyAuth})
				if err == nil {
					err = r.CheckCAA(ctx, va.CAARequest{Identifier: id, Method: challenge})
				}
				if got, want := err != nil, slices.Contains(tt.dissent, r.Name()); got != want {
					t.Errorf("perspective %s alone: got error %v, want failure %v", r.Name(), err, want)
				}
			}
		})
	}
}

// serveHTTP01 answers the test token's http-01 request on 127.0.0.1 and
// returns the port.
func serveHTTP01(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/.well-known/acme-challenge/"+token {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(keyAuth))
	}))
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return ln.Addr().(*net.TCPAddr).Port
}

// TestAuthRefused: only a client certificate from the configured CA is let
// in; without one, or with one from another CA, the TLS handshake fails,
// and a handler reached without TLS refuses with 401.
func TestAuthRefused(t *testing.T) {
	pki := varemotetest.NewPKI(t)
	url := startPerspective(t, pki, "a", startDNS(t).Addr(), 0)
	roots := x509.NewCertPool()
	pem, err := os.ReadFile(pki.CA)
	if err != nil || !roots.AppendCertsFromPEM(pem) {
		t.Fatalf("reading CA: %v", err)
	}
	other, err := tls.LoadX509KeyPair(pki.OtherClientCert, pki.OtherClientKey)
	if err != nil {
		t.Fatalf("loading the untrusted client certificate: %v", err)
	}
	good, err := varemote.ClientTLS(pki.ClientCert, pki.ClientKey, pki.CA)
	if err != nil {
		t.Fatalf("ClientTLS: %v", err)
	}
	tests := []struct {
		name       string
		tls        *tls.Config
		wantStatus int // 0: the connection fails
	}{
		{"no client certificate", &tls.Config{RootCAs: roots}, 0},
		{"client certificate from another CA", &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{other}}, 0},
		{"client certificate from the configured CA", good, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hc := &http.Client{Transport: &http.Transport{TLSClientConfig: tt.tls}, Timeout: 5 * time.Second}
			resp, err := hc.Post(url+varemote.PathCAA, "application/json", strings.NewReader(`{"identifier":{"type":"dns","value":"x.test"}}`))
			if tt.wantStatus == 0 {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("got status %s, want the connection refused", resp.Status)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want status %d", err, tt.wantStatus)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("got status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
		})
	}

	t.Run("handler without TLS", func(t *testing.T) {
		tlsCfg, err := varemote.ServerTLS(pki.ServerCert, pki.ServerKey, pki.CA)
		if err != nil {
			t.Fatalf("ServerTLS: %v", err)
		}
		s, err := varemote.NewServer(varemote.ServerConfig{Perspective: "plain", TLS: tlsCfg}, nil)
		if err != nil {
			t.Fatalf("NewServer: %v", err)
		}
		plain := httptest.NewServer(s.Handler())
		defer plain.Close()
		resp, err := http.Post(plain.URL+varemote.PathCAA, "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatalf("post: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("got status %d, want 401", resp.StatusCode)
		}
	})

	t.Run("server without client authentication is refused", func(t *testing.T) {
		cert, err := tls.LoadX509KeyPair(pki.ServerCert, pki.ServerKey)
		if err != nil {
			t.Fatalf("loading: %v", err)
		}
		_, err = varemote.NewServer(varemote.ServerConfig{Perspective: "open", TLS: &tls.Config{Certificates: []tls.Certificate{cert}}}, nil)
		if err == nil {
			t.Fatal("got a server, want an error: client certificates must be required")
		}
	})
}

// TestBadRequests: malformed requests from an authenticated primary get a
// 4xx answer with a malformed error, never a 500.
func TestBadRequests(t *testing.T) {
	pki := varemotetest.NewPKI(t)
	url := startPerspective(t, pki, "a", startDNS(t).Addr(), 0)
	good, err := varemote.ClientTLS(pki.ClientCert, pki.ClientKey, pki.CA)
	if err != nil {
		t.Fatalf("ClientTLS: %v", err)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: good}, Timeout: 5 * time.Second}
	tests := []struct {
		name, method, path, body string
		wantStatus               int
		wantKind                 core.Kind // of the error in the answer, 200s included
	}{
		{"not JSON", "POST", varemote.PathValidate, "{", 400, core.ErrMalformed},
		{"unknown field", "POST", varemote.PathValidate, `{"identifier":{"type":"dns","value":"a.test"},"extra":1}`, 400, core.ErrMalformed},
		{"two values", "POST", varemote.PathCAA, `{} {}`, 400, core.ErrMalformed},
		{"too large", "POST", varemote.PathCAA, `{"accountURI":"` + strings.Repeat("a", 70<<10) + `"}`, 413, core.ErrMalformed},
		{"bad challenge type", "POST", varemote.PathValidate, `{"identifier":{"type":"dns","value":"a.test"},"challenge":"x-01","token":"t","keyAuthorization":"k"}`, 200, core.ErrMalformed},
		{"bad identifier", "POST", varemote.PathCAA, `{"identifier":{"type":"dns","value":"-bad-.."}}`, 200, core.ErrMalformed},
		{"wrong method", "GET", varemote.PathValidate, "", 405, ""},
		{"unknown path", "POST", "/v1/other", "{}", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, url+tt.path, bytes.NewReader([]byte(tt.body)))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatalf("request: %v", err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("got status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantKind == "" {
				return
			}
			var res struct {
				Error *struct{ Kind core.Kind } `json:"error"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || res.Error == nil {
				t.Fatalf("got answer %+v (%v), want an error of kind %s", res, err, tt.wantKind)
			}
			if res.Error.Kind != tt.wantKind {
				t.Fatalf("got kind %s, want %s", res.Error.Kind, tt.wantKind)
			}
		})
	}
}

// TestInFlightLimit: past its limit a perspective answers 503 at once
// instead of queueing, and the primary's client reports that as the
// perspective's own failure.
func TestInFlightLimit(t *testing.T) {
	pki := varemotetest.NewPKI(t)
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	slow := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
		_, _ = w.Write([]byte(keyAuth))
	}))
	slow.Listener = ln
	slow.Start()
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })

	tlsCfg, err := varemote.ServerTLS(pki.ServerCert, pki.ServerKey, pki.CA)
	if err != nil {
		t.Fatal(err)
	}
	s, err := varemote.NewServer(varemote.ServerConfig{
		Perspective: "busy", TLS: tlsCfg, MaxInFlight: 1,
		VA: va.Config{DNSResolver: startDNS(t).Addr(), HTTPPort: ln.Addr().(*net.TCPAddr).Port, AllowPrivate: true, Timeout: 5 * time.Second},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(s.Handler())
	srv.TLS = tlsCfg
	srv.StartTLS()
	t.Cleanup(srv.Close)
	clientTLS, err := varemote.ClientTLS(pki.ClientCert, pki.ClientKey, pki.CA)
	if err != nil {
		t.Fatal(err)
	}
	c, err := varemote.NewClient(varemote.ClientConfig{Name: "busy", URL: srv.URL, TLS: clientTLS})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	req := va.Request{Identifier: acme.Identifier{Type: acme.IdentifierDNS, Value: "slow.mpic.test"}, Challenge: acme.ChallengeHTTP01, Token: token, KeyAuthorization: keyAuth}

	first := make(chan error, 1)
	go func() {
		_, err := c.Validate(context.Background(), req)
		first <- err
	}()
	// The first check holds the only slot while the responder stalls it.
	<-arrived
	_, err = c.Validate(context.Background(), req)
	if err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("second check: got %v, want a 503 while the first runs", err)
	}
	if ce := core.AsError(err); ce.Kind != core.ErrServerInternal {
		t.Fatalf("got kind %s, want the perspective's own failure (serverInternal)", ce.Kind)
	}
	release <- struct{}{}
	if err := <-first; err != nil {
		t.Fatalf("first check: got %v, want success", err)
	}
}
