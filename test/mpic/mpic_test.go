package mpic

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	xacme "golang.org/x/crypto/acme"

	"github.com/quarry-ca/quarry/internal/testdns"
	"github.com/quarry-ca/quarry/internal/varemote"
	"github.com/quarry-ca/quarry/internal/varemote/varemotetest"
	"github.com/quarry-ca/quarry/test/harness"
)

// perspective is one running `quarry va`.
type perspective struct {
	name string
	addr string
	dns  *testdns.Server
	proc *harness.Proc
}

func TestMultiPerspective(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin := harness.BuildQuarry(ctx, t)
	pki := varemotetest.NewPKI(t)
	primaryDNS := startDNS(t)

	// Perspective a shares the primary's DNS; b and c each have their own.
	var ps []*perspective
	for _, p := range []struct {
		name string
		dns  *testdns.Server
	}{{"a", primaryDNS}, {"b", startDNS(t)}, {"c", startDNS(t)}} {
		ps = append(ps, startPerspective(ctx, t, bin, pki, p.name, p.dns))
	}
	cfgFile := filepath.Join(t.TempDir(), "quarry.yaml")
	cfg := fmt.Sprintf("acme:\n  caa-identities: [quarry.test]\nperspectives:\n  client-cert: %s\n  client-key: %s\n  server-ca: %s\n  remotes:\n",
		pki.ClientCert, pki.ClientKey, pki.CA)
	for _, p := range ps {
		cfg += fmt.Sprintf("    - name: %s\n      url: https://%s\n", p.name, p.addr)
	}
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ca := harness.StartQuarry(ctx, t, harness.QuarryOptions{
		Bin: bin, DNS: primaryDNS.Addr(), VAHTTPPort: harness.FreePort(t), VATLSPort: harness.FreePort(t),
		ExtraArgs: []string{"--config", cfgFile},
	})
	if !strings.Contains(ca.Proc.Output(), "multi-perspective corroboration on") {
		t.Fatalf("quarry serve did not report perspectives on; output:\n%s", ca.Proc.Output())
	}
	client := newClient(ctx, t, ca)

	forbid := &dns.CAA{Tag: "issue", Value: "another-ca.example"}
	tests := []struct {
		name       string
		id         string
		txtDissent []string // perspectives that see a wrong TXT record
		caaDissent []string // perspectives that see a CAA record naming another CA
		wantType   string   // problem type of the invalid challenge; "" means issued
		wantDetail string
	}{
		{name: "one perspective sees another TXT", id: "txt1.mpic.test", txtDissent: []string{"c"}},
		{name: "two perspectives see another TXT", id: "txt2.mpic.test", txtDissent: []string{"b", "c"},
			wantType: "urn:ietf:params:acme:error:unauthorized", wantDetail: "validation succeeded from 1 of 3 remote perspectives; at least 2 needed"},
		{name: "one perspective sees a forbidding CAA", id: "caa1.mpic.test", caaDissent: []string{"b"}},
		{name: "two perspectives see a forbidding CAA", id: "caa2.mpic.test", caaDissent: []string{"b", "c"},
			wantType: "urn:ietf:params:acme:error:caa", wantDetail: "CAA permitted issuance from 1 of 3 remote perspectives; at least 2 needed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			order, err := client.AuthorizeOrder(ctx, xacme.DomainIDs(tt.id))
			if err != nil {
				t.Fatalf("new order: %v", err)
			}
			az, err := client.GetAuthorization(ctx, order.AuthzURLs[0])
			if err != nil {
				t.Fatalf("get authorization: %v", err)
			}
			ch := dns01(t, az)
			value, err := client.DNS01ChallengeRecord(ch.Token)
			if err != nil {
				t.Fatal(err)
			}
			// Perspective a answers from the primary's server, which
			// always has the right records.
			primaryDNS.AddTXT("_acme-challenge."+tt.id, value)
			for _, p := range ps[1:] {
				v := value
				if slices.Contains(tt.txtDissent, p.name) {
					v = "a-stale-record-from-elsewhere"
				}
				p.dns.AddTXT("_acme-challenge."+tt.id, v)
				if slices.Contains(tt.caaDissent, p.name) {
					p.dns.SetCAA(tt.id, forbid)
				}
			}
			if _, err := client.Accept(ctx, ch); err != nil {
				t.Fatalf("accept: %v", err)
			}
			_, err = client.WaitAuthorization(ctx, az.URI)
			if tt.wantType == "" {
				if err != nil {
					t.Fatalf("wait authorization: got %v, want valid", err)
				}
				if _, _, err := client.CreateOrderCert(ctx, order.FinalizeURL, csr(t, tt.id), true); err != nil {
					t.Fatalf("finalize: got %v, want a certificate", err)
				}
				return
			}
			if err == nil {
				t.Fatal("authorization became valid, want it invalid for want of a quorum")
			}
			got, err := client.GetChallenge(ctx, ch.URI)
			if err != nil {
				t.Fatalf("get challenge: %v", err)
			}
			var ae *xacme.Error
			if got.Status != xacme.StatusInvalid || !errors.As(got.Error, &ae) || ae.ProblemType != tt.wantType || !strings.Contains(ae.Detail, tt.wantDetail) {
				t.Fatalf("got challenge %s with error %v, want invalid with %s %q", got.Status, got.Error, tt.wantType, tt.wantDetail)
			}
		})
	}

	t.Run("bad authentication is refused", func(t *testing.T) {
		roots := pool(t, pki.CA)
		other, err := tls.LoadX509KeyPair(pki.OtherClientCert, pki.OtherClientKey)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			for name, cfg := range map[string]*tls.Config{
				"no client certificate":              {RootCAs: roots},
				"client certificate from another CA": {RootCAs: roots, Certificates: []tls.Certificate{other}},
			} {
				hc := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 10 * time.Second}
				resp, err := hc.Post("https://"+p.addr+varemote.PathCAA, "application/json", strings.NewReader(`{"identifier":{"type":"dns","value":"x.mpic.test"}}`))
				if err == nil {
					resp.Body.Close()
					t.Errorf("perspective %s, %s: got status %s, want the connection refused", p.name, name, resp.Status)
				}
			}
		}
	})

	for _, p := range ps {
		if testing.Verbose() {
			t.Logf("---- quarry va %s output ----\n%s", p.name, p.proc.Output())
		}
		if err := p.proc.Stop(); err != nil {
			t.Errorf("perspective %s did not exit cleanly on SIGTERM: %v", p.name, err)
		}
	}
}

func startDNS(t *testing.T) *testdns.Server {
	t.Helper()
	return testdns.StartTest(t, testdns.Config{DefaultA: []net.IP{net.IPv4(127, 0, 0, 1)}})
}

// startPerspective starts `quarry va` and waits until it accepts TLS
// connections from the primary's certificate.
func startPerspective(ctx context.Context, t *testing.T, bin string, pki varemotetest.PKI, name string, d *testdns.Server) *perspective {
	t.Helper()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(harness.FreePort(t)))
	p := &perspective{name: name, addr: addr, dns: d}
	p.proc = harness.StartProc(t, "quarry va "+name, nil, bin, "va",
		"--listen", addr, "--perspective", name,
		"--tls-cert", pki.ServerCert, "--tls-key", pki.ServerKey, "--client-ca", pki.CA,
		"--dns-resolver", d.Addr(), "--allow-private-addresses", "--timeout", "5s", "--log-level", "debug")
	cfg, err := varemote.ClientTLS(pki.ClientCert, pki.ClientKey, pki.CA)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := (&tls.Dialer{Config: cfg}).DialContext(ctx, "tcp", addr)
		if err == nil {
			conn.Close()
			return p
		}
		select {
		case <-p.proc.Exited():
			t.Fatalf("quarry va %s exited before answering:\n%s", name, p.proc.Output())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("quarry va %s did not answer on %s: %v", name, addr, err)
		}
	}
}

func newClient(ctx context.Context, t *testing.T, ca *harness.CA) *xacme.Client {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	c := &xacme.Client{
		Key: key, DirectoryURL: ca.DirectoryURL,
		HTTPClient: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool(t, ca.RootsFile)}}, Timeout: 30 * time.Second},
	}
	if _, err := c.Register(ctx, &xacme.Account{}, xacme.AcceptTOS); err != nil {
		t.Fatalf("register: %v", err)
	}
	return c
}

func dns01(t *testing.T, az *xacme.Authorization) *xacme.Challenge {
	t.Helper()
	for _, ch := range az.Challenges {
		if ch.Type == "dns-01" {
			return ch
		}
	}
	t.Fatalf("authorization for %s offers no dns-01", az.Identifier.Value)
	return nil
}

func csr(t *testing.T, name string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{DNSNames: []string{name}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func pool(t *testing.T, file string) *x509.CertPool {
	t.Helper()
	pem, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(pem) {
		t.Fatalf("%s holds no certificates", file)
	}
	return p
}
