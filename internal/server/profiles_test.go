package server_test

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/client"
	"github.com/quarry-ca/quarry/internal/config"
)

// TestProfilesIssue issues under each profile and checks the certificate
// the profile promises: lifetime, CN or none, serverAuth only, SAN types.
func TestProfilesIssue(t *testing.T) {
	e := startEnv(t, nil)
	ip := acme.Identifier{Type: acme.IdentifierIP, Value: "127.0.0.1"}
	tests := []struct {
		name        string
		profile     string // as sent; "" takes the default
		ids         []acme.Identifier
		wantProfile string
		wantLife    time.Duration
		wantCN      bool
	}{
		{"default is classic", "", dnsIDs("classic.quarry.test"), "classic", 90 * 24 * time.Hour, true},
		{"tlsserver", "tlsserver", dnsIDs("tls.quarry.test", "www.tls.quarry.test"), "tlsserver", 45 * 24 * time.Hour, false},
		{"shortlived with an IP", "shortlived", append(dnsIDs("short.quarry.test"), ip), "shortlived", 160 * time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			c := e.own(t, ctx)
			order, leaf := e.obtain(t, ctx, c, acme.NewOrderRequest{Identifiers: tt.ids, Profile: tt.profile}, acme.ChallengeHTTP01, ecKey())
			if order.Profile != tt.wantProfile {
				t.Errorf("order profile: got %q, want %q", order.Profile, tt.wantProfile)
			}
			if got := leaf.NotAfter.Sub(leaf.NotBefore).Round(time.Hour); got != tt.wantLife {
				t.Errorf("lifetime: got %v, want %v", got, tt.wantLife)
			}
			if got := leaf.Subject.CommonName != ""; got != tt.wantCN {
				t.Errorf("CN %q: got present=%v, want %v", leaf.Subject.CommonName, got, tt.wantCN)
			}
			if !slices.Equal(leaf.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) || len(leaf.UnknownExtKeyUsage) != 0 {
				t.Errorf("EKU: got %v %v, want serverAuth only", leaf.ExtKeyUsage, leaf.UnknownExtKeyUsage)
			}
			var wantDNS, wantIP []string
			for _, id := range tt.ids {
				if id.Type == acme.IdentifierIP {
					wantIP = append(wantIP, id.Value)
				} else {
					wantDNS = append(wantDNS, id.Value)
				}
			}
			var gotIP []string
			for _, a := range leaf.IPAddresses {
				gotIP = append(gotIP, a.String())
			}
			if !slices.Equal(leaf.DNSNames, wantDNS) || !slices.Equal(gotIP, wantIP) {
				t.Errorf("SANs: got DNS %v IP %v, want DNS %v IP %v", leaf.DNSNames, gotIP, wantDNS, wantIP)
			}
		})
	}
}

// TestProfilesDirectoryAndRefusals checks what the directory advertises
// and that newOrder refuses what a profile does not allow, with the right
// problem type and status.
func TestProfilesDirectoryAndRefusals(t *testing.T) {
	e := startEnv(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := e.own(t, ctx)
	dir, err := c.Directory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"classic", "tlsserver", "shortlived"} {
		if dir.Meta == nil || dir.Meta.Profiles[p] == "" {
			t.Errorf("directory meta.profiles: got %v, want a description of %s", dir.Meta, p)
		}
	}
	if dir.RenewalInfo == "" {
		t.Error("directory has no renewalInfo")
	}
	// A pending order tells the client when to poll again.
	pending, err := c.NewOrder(ctx, acme.NewOrderRequest{Identifiers: dnsIDs("pending.quarry.test"), Profile: "tlsserver"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetOrder(ctx, pending.URL); err != nil || got.Status != acme.StatusPending || got.RetryAfter != time.Second {
		t.Errorf("pending order: got %v, %v; want pending with Retry-After 1s", got, err)
	} else if got.Profile != "tlsserver" || got.Expires == nil || got.Expires.Sub(time.Now()) > 7*time.Hour {
		t.Errorf("pending order: got profile %q expires %v, want tlsserver within 7h", got.Profile, got.Expires)
	}
	many := make([]string, 26)
	for i := range many {
		many[i] = fmt.Sprintf("n%d.quarry.test", i)
	}
	tests := []struct {
		name       string
		req        acme.NewOrderRequest
		wantType   acme.ProblemType
		wantStatus int
	}{
		{"unknown profile", acme.NewOrderRequest{Identifiers: dnsIDs("a.quarry.test"), Profile: "nosuch"}, acme.ProblemInvalidProfile, http.StatusBadRequest},
		{"IP under classic", acme.NewOrderRequest{Identifiers: []acme.Identifier{{Type: acme.IdentifierIP, Value: "127.0.0.1"}}},
			acme.ProblemRejectedIdentifier, http.StatusBadRequest},
		{"IP under tlsserver", acme.NewOrderRequest{Identifiers: []acme.Identifier{{Type: acme.IdentifierIP, Value: "::1"}}, Profile: "tlsserver"},
			acme.ProblemRejectedIdentifier, http.StatusBadRequest},
		{"26 names under tlsserver", acme.NewOrderRequest{Identifiers: dnsIDs(many...), Profile: "tlsserver"},
			acme.ProblemRejectedIdentifier, http.StatusBadRequest},
		{"IP not in canonical form", acme.NewOrderRequest{Identifiers: []acme.Identifier{{Type: acme.IdentifierIP, Value: "0:0::1"}}, Profile: "shortlived"},
			acme.ProblemMalformed, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.NewOrder(ctx, tt.req)
			wantProblem(t, err, tt.wantType, tt.wantStatus)
		})
	}
}

// TestIPIdentifiersPublicPreset: a public CA refuses loopback and private
// addresses even under shortlived.
func TestIPIdentifiersPublicPreset(t *testing.T) {
	e := startEnv(t, func(c *config.Config) { c.Preset = config.PresetPublic })
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := e.own(t, ctx)
	for _, addr := range []string{"127.0.0.1", "::1", "10.1.2.3", "192.168.0.1", "fd00::1"} {
		t.Run(addr, func(t *testing.T) {
			_, err := c.NewOrder(ctx, acme.NewOrderRequest{Identifiers: []acme.Identifier{{Type: acme.IdentifierIP, Value: addr}}, Profile: "shortlived"})
			wantProblem(t, err, acme.ProblemRejectedIdentifier, http.StatusBadRequest)
		})
	}
}

// TestIPIdentifiersEndToEnd validates 127.0.0.1 and ::1 by http-01 and by
// tls-alpn-01 (SNI is the reverse name) and gets IP SANs.
func TestIPIdentifiersEndToEnd(t *testing.T) {
	var httpPort, tlsPort int
	e := startEnv(t, func(c *config.Config) { httpPort, tlsPort = c.VA.HTTPPort, c.VA.TLSPort })
	e.listenV6(httpPort, tlsPort)
	for _, typ := range []acme.ChallengeType{acme.ChallengeHTTP01, acme.ChallengeTLSALPN01} {
		for _, addr := range []string{"127.0.0.1", "::1"} {
			t.Run(string(typ)+" "+addr, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				c := e.own(t, ctx)
				req := acme.NewOrderRequest{Identifiers: []acme.Identifier{{Type: acme.IdentifierIP, Value: addr}}, Profile: "shortlived"}
				order, err := c.NewOrder(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				az, err := c.GetAuthorization(ctx, order.Authorizations[0])
				if err != nil {
					t.Fatal(err)
				}
				var offered []acme.ChallengeType
				for _, ch := range az.Challenges {
					offered = append(offered, ch.Type)
				}
				if slices.Contains(offered, acme.ChallengeDNS01) || !slices.Contains(offered, typ) {
					t.Fatalf("offered challenges: got %v, want http-01 and tls-alpn-01 only", offered)
				}
				e.ownSolve(t, ctx, c, order, typ)
				if _, err := c.Finalize(ctx, order.Finalize, csrForIDs(t, ecKey(), req.Identifiers)); err != nil {
					t.Fatalf("finalize: %v", err)
				}
				done, err := c.WaitOrder(ctx, order.URL)
				if err != nil {
					t.Fatal(err)
				}
				cert, err := c.FetchCertificate(ctx, done.Certificate)
				if err != nil {
					t.Fatal(err)
				}
				leaf := cert.Chain[0]
				if len(leaf.IPAddresses) != 1 || !leaf.IPAddresses[0].Equal(net.ParseIP(addr)) || len(leaf.DNSNames) != 0 {
					t.Errorf("SANs: got IP %v DNS %v, want only IP %s", leaf.IPAddresses, leaf.DNSNames, addr)
				}
				if _, err := leaf.Verify(x509.VerifyOptions{Roots: e.roots, Intermediates: pool(cert.Chain[1:])}); err != nil {
					t.Errorf("chain: %v", err)
				}
			})
		}
	}
}

// listenV6 serves the same responders on [::1] at the ports the VA uses,
// so an IPv6 identifier can be validated.
func (e *env) listenV6(httpPort, tlsPort int) {
	e.t.Helper()
	hl, err := net.Listen("tcp", fmt.Sprintf("[::1]:%d", httpPort))
	if err != nil {
		e.t.Fatalf("listening on [::1]:%d for http-01: %v", httpPort, err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(e.serveHTTP01), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(hl)
	tl, err := net.Listen("tcp", fmt.Sprintf("[::1]:%d", tlsPort))
	if err != nil {
		e.t.Fatalf("listening on [::1]:%d for tls-alpn-01: %v", tlsPort, err)
	}
	go serveTLS(tlsListener(tl, e))
	e.t.Cleanup(func() { srv.Close(); tl.Close() })
}

func pool(certs []*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}

// wantProblem fails t unless err is a problem of the type and status.
func wantProblem(t *testing.T, err error, typ acme.ProblemType, status int) {
	t.Helper()
	var pe *client.Error
	if !errorsAs(err, &pe) || pe.Problem.Type != typ || pe.StatusCode != status {
		t.Errorf("got %v, want a %s problem with status %d", err, typ, status)
	}
}
