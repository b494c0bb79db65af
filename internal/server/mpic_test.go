package server_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	xacme "golang.org/x/crypto/acme"

	"github.com/quarry-ca/quarry/internal/config"
	"github.com/quarry-ca/quarry/internal/server"
	"github.com/quarry-ca/quarry/internal/testdns"
	"github.com/quarry-ca/quarry/internal/va"
	"github.com/quarry-ca/quarry/internal/varemote/varemotetest"
)

// TestMultiPerspectiveEndToEnd runs Quarry with three in-process remote
// perspectives, each on its own DNS server, and dns-01 through the whole
// stack: one perspective seeing a wrong TXT record still issues; two
// refuse the challenge with the quorum's error.
func TestMultiPerspectiveEndToEnd(t *testing.T) {
	pki := varemotetest.NewPKI(t)
	dnsA, dnsB, dnsC := startTestDNS(t), startTestDNS(t), startTestDNS(t)
	var remotes []config.RemotePerspective
	for _, p := range []struct {
		name string
		dns  *testdns.Server
	}{{"a", dnsA}, {"b", dnsB}, {"c", dnsC}} {
		remotes = append(remotes, config.RemotePerspective{Name: p.name, URL: startRemote(t, pki, p.name, p.dns.Addr())})
	}
	e := startEnv(t, func(c *config.Config) {
		c.Perspectives = config.Perspectives{Remotes: remotes, ClientCert: pki.ClientCert, ClientKey: pki.ClientKey, ServerCA: pki.CA}
	})

	tests := []struct {
		name      string
		id        string
		dissent   []*testdns.Server // see a wrong TXT record; the others the right one
		wantIssue bool
	}{
		{"one perspective dissents", "one.mpic.test", []*testdns.Server{dnsC}, true},
		{"two perspectives dissent", "two.mpic.test", []*testdns.Server{dnsB, dnsC}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			c := e.client()
			e.register(ctx, c)
			order, err := c.AuthorizeOrder(ctx, xacme.DomainIDs(tt.id))
			if err != nil {
				t.Fatalf("new order: %v", err)
			}
			az, err := c.GetAuthorization(ctx, order.AuthzURLs[0])
			if err != nil {
				t.Fatalf("get authorization: %v", err)
			}
			var ch *xacme.Challenge
			for _, x := range az.Challenges {
				if x.Type == "dns-01" {
					ch = x
				}
			}
			good, err := c.DNS01ChallengeRecord(ch.Token)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range []*testdns.Server{dnsA, dnsB, dnsC} {
				v := good
				for _, x := range tt.dissent {
					if x == d {
						v = "a-stale-record-from-elsewhere"
					}
				}
				d.AddTXT("_acme-challenge."+tt.id, v)
			}
			e.prepare(c, tt.id, ch)
			if _, err := c.Accept(ctx, ch); err != nil {
				t.Fatalf("accept: %v", err)
			}
			_, err = c.WaitAuthorization(ctx, az.URI)
			if tt.wantIssue {
				if err != nil {
					t.Fatalf("wait authorization: got %v, want valid", err)
				}
				chain, _, err := c.CreateOrderCert(ctx, order.FinalizeURL, csrFor(t, ecKey(), tt.id), true)
				if err != nil {
					t.Fatalf("finalize: got %v, want a certificate", err)
				}
				e.verify(chain, tt.id)
				return
			}
			if err == nil {
				t.Fatal("authorization became valid, want it invalid for want of a quorum")
			}
			got, err := c.GetChallenge(ctx, ch.URI)
			if err != nil {
				t.Fatalf("get challenge: %v", err)
			}
			var ae *xacme.Error
			const wantDetail = "validation succeeded from 1 of 3 remote perspectives; at least 2 needed"
			if got.Status != xacme.StatusInvalid || !errors.As(got.Error, &ae) ||
				ae.ProblemType != "urn:ietf:params:acme:error:unauthorized" || !strings.Contains(ae.Detail, wantDetail) {
				t.Fatalf("got challenge %s with error %v, want invalid, unauthorized, %q", got.Status, got.Error, wantDetail)
			}
		})
	}
}

// TestPerspectivesMisconfigured: a perspective whose files cannot be read
// stops the server at start with the perspective's name.
func TestPerspectivesMisconfigured(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Listen, cfg.HTTPListen = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Perspectives = config.Perspectives{
		Remotes:    []config.RemotePerspective{{Name: "far-away", URL: "https://127.0.0.1:1"}},
		ClientCert: "/nonexistent/client.pem", ClientKey: "/nonexistent/client.key", ServerCA: "/nonexistent/ca.pem",
	}
	_, err := server.New(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil || !strings.Contains(err.Error(), "perspective far-away") {
		t.Fatalf("got %v, want an error naming perspective far-away", err)
	}
}

func startTestDNS(t *testing.T) *testdns.Server {
	t.Helper()
	return testdns.StartTest(t, testdns.Config{DefaultA: []net.IP{net.IPv4(127, 0, 0, 1)}})
}

// startRemote serves one remote perspective resolving through dnsAddr.
func startRemote(t *testing.T, pki varemotetest.PKI, name, dnsAddr string) string {
	t.Helper()
	return varemotetest.StartPerspective(t, pki, name, va.Config{DNSResolver: dnsAddr, AllowPrivate: true, Timeout: 5 * time.Second})
}
