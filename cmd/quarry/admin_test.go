package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	xacme "golang.org/x/crypto/acme"
	xocsp "golang.org/x/crypto/ocsp"

	"github.com/quarry-ca/quarry/internal/config"
	"github.com/quarry-ca/quarry/internal/server"
	"github.com/quarry-ca/quarry/internal/storage/postgres/pgtest"
	"github.com/quarry-ca/quarry/internal/testdns"
)

// caUnderTest is an in-process quarry serve, an http-01 responder, and an
// ACME account that has issued certificates through them.
type caUnderTest struct {
	t       *testing.T
	srv     *server.Server
	storage []string // the flags that name the server's store
	client  *xacme.Client
	acctID  string

	mu     sync.Mutex
	tokens map[string]string
}

// issued is one certificate and the order that issued it.
type issued struct {
	leaf    *x509.Certificate
	issuer  *x509.Certificate
	key     *ecdsa.PrivateKey
	serial  string
	orderID string
}

// startCA runs Quarry on storageDSN (empty: SQLite in its data directory)
// with CRLs regenerated 200 ms after a revocation, so its CRL generator
// polls the store every second.
func startCA(t *testing.T, storageDSN string) *caUnderTest {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := &caUnderTest{t: t, tokens: map[string]string{}}
	dns, err := testdns.Start(ctx, testdns.Config{DefaultA: []net.IP{net.IPv4(127, 0, 0, 1)}})
	if err != nil {
		t.Fatalf("starting DNS: %v", err)
	}
	httpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go http.Serve(httpLn, http.HandlerFunc(c.serveHTTP01))

	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Storage = storageDSN
	cfg.Listen, cfg.HTTPListen = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Preset = config.PresetDev
	_, p, _ := net.SplitHostPort(httpLn.Addr().String())
	cfg.VA.HTTPPort, _ = strconv.Atoi(p)
	cfg.VA.DNSResolver = dns.Addr()
	cfg.CRL.AfterRevocationDelay = config.Duration(200 * time.Millisecond)
	cfg.OCSP.Enable = true
	c.storage = []string{"--data-dir", cfg.DataDir}
	if storageDSN != "" {
		c.storage = []string{"--storage", storageDSN}
	}
	c.srv, err = server.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("starting quarry: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- c.srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("quarry shut down with %v", err)
		}
		httpLn.Close()
		dns.Close()
	})

	pem, err := os.ReadFile(c.srv.RootsPath())
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	c.client = &xacme.Client{Key: key, DirectoryURL: c.srv.DirectoryURL(), HTTPClient: &http.Client{
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}, Timeout: 30 * time.Second}}
	acct, err := c.client.Register(ctx, &xacme.Account{Contact: []string{"mailto:ops@example.org"}}, xacme.AcceptTOS)
	if err != nil {
		t.Fatalf("register: %v", err)
	}
	c.acctID = path.Base(acct.URI)
	return c
}

func (c *caUnderTest) serveHTTP01(w http.ResponseWriter, r *http.Request) {
	token := strings.TrimPrefix(r.URL.Path, "/.well-known/acme-challenge/")
	c.mu.Lock()
	ka, ok := c.tokens[token]
	c.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	io.WriteString(w, ka)
}

// issue gets a certificate for name over ACME with http-01.
func (c *caUnderTest) issue(ctx context.Context, name string) issued {
	c.t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	iss, err := c.issueWithKey(ctx, name, key)
	if err != nil {
		c.t.Fatalf("issuing for %s: %v", name, err)
	}
	return iss
}

// issueWithKey gets a certificate for name and key, failing the test on
// anything but a refused finalization, which it returns.
func (c *caUnderTest) issueWithKey(ctx context.Context, name string, key *ecdsa.PrivateKey) (issued, error) {
	c.t.Helper()
	order, err := c.client.AuthorizeOrder(ctx, xacme.DomainIDs(name))
	if err != nil {
		c.t.Fatalf("new order: %v", err)
	}
	for _, u := range order.AuthzURLs {
		az, err := c.client.GetAuthorization(ctx, u)
		if err != nil {
			c.t.Fatal(err)
		}
		for _, ch := range az.Challenges {
			if ch.Type != "http-01" {
				continue
			}
			ka, _ := c.client.HTTP01ChallengeResponse(ch.Token)
			c.mu.Lock()
			c.tokens[ch.Token] = ka
			c.mu.Unlock()
			if _, err := c.client.Accept(ctx, ch); err != nil {
				c.t.Fatalf("accept: %v", err)
			}
		}
		if _, err := c.client.WaitAuthorization(ctx, u); err != nil {
			c.t.Fatalf("authorization for %s: %v", name, err)
		}
	}
	csr, _ := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: name}, DNSNames: []string{name}}, key)
	if _, err := c.client.WaitOrder(ctx, order.URI); err != nil {
		c.t.Fatalf("wait order: %v", err)
	}
	chain, _, err := c.client.CreateOrderCert(ctx, order.FinalizeURL, csr, true)
	if err != nil {
		return issued{}, err
	}
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		c.t.Fatal(err)
	}
	issuer, err := x509.ParseCertificate(chain[1])
	if err != nil {
		c.t.Fatal(err)
	}
	return issued{leaf: leaf, issuer: issuer, key: key, serial: leaf.SerialNumber.Text(16), orderID: path.Base(order.URI)}, nil
}

// admin runs quarry admin against the CA's store and returns stdout,
// stderr and the exit code main would use.
func (c *caUnderTest) admin(args ...string) (string, string, int) {
	c.t.Helper()
	var out, errOut bytes.Buffer
	err := run(append(append([]string{"admin"}, args...), c.storage...), &out, &errOut)
	code := 0
	var ue usageError
	switch {
	case errors.As(err, &ue):
		code = 2
	case err != nil:
		code = 1
	}
	if err != nil {
		errOut.WriteString("quarry: " + err.Error() + "\n")
	}
	return out.String(), errOut.String(), code
}

// ocspStatus asks the running server's OCSP responder about iss.
func ocspStatus(t *testing.T, iss issued) int {
	t.Helper()
	if len(iss.leaf.OCSPServer) != 1 {
		t.Fatalf("leaf: got OCSP servers %v, want one", iss.leaf.OCSPServer)
	}
	req, err := xocsp.CreateRequest(iss.leaf, iss.issuer, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(iss.leaf.OCSPServer[0], "application/ocsp-request", bytes.NewReader(req))
	if err != nil {
		t.Fatalf("POST OCSP: %v", err)
	}
	defer resp.Body.Close()
	der, _ := io.ReadAll(resp.Body)
	parsed, err := xocsp.ParseResponseForCert(der, iss.leaf, iss.issuer)
	if err != nil {
		t.Fatalf("OCSP response: %v", err)
	}
	return parsed.Status
}

// servedCRLLists reports whether the CRL at leaf's distribution point, as
// the running server serves it, lists leaf, waiting up to wait for it to.
func servedCRLLists(t *testing.T, leaf *x509.Certificate, wait time.Duration) bool {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		resp, err := http.Get(leaf.CRLDistributionPoints[0])
		if err != nil {
			t.Fatalf("GET CRL: %v", err)
		}
		der, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if crl, err := x509.ParseRevocationList(der); err == nil {
			for _, e := range crl.RevokedCertificateEntries {
				if e.SerialNumber.Cmp(leaf.SerialNumber) == 0 {
					return true
				}
			}
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestAdminSQLite(t *testing.T) { testAdmin(t, "") }

func TestAdminPostgres(t *testing.T) { testAdmin(t, pgtest.NewDatabase(t)) }

// testAdmin issues certificates through a running Quarry, then acts on its
// store with quarry admin as an operator would, checking the server sees
// each change.
func testAdmin(t *testing.T, storageDSN string) {
	c := startCA(t, storageDSN)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	a := c.issue(ctx, "a.admin.quarry.test")
	b := c.issue(ctx, "b.admin.quarry.test")
	d := c.issue(ctx, "d.admin.quarry.test")

	t.Run("cert show", func(t *testing.T) {
		out, errOut, code := c.admin("cert", "show", strings.ToUpper(a.serial))
		for _, want := range []string{"Certificate " + a.serial, "Status:", "valid", "a.admin.quarry.test", "CN=", "Not after:"} {
			if code != 0 || !strings.Contains(out, want) {
				t.Errorf("cert show: got exit %d, output\n%s%s\nwant exit 0 and %q", code, out, errOut, want)
			}
		}
		var v certView
		out, _, code = c.admin("cert", "show", a.serial, "--json")
		if err := json.Unmarshal([]byte(out), &v); err != nil || code != 0 {
			t.Fatalf("cert show --json: got exit %d, %v, output %q", code, err, out)
		}
		if v.Status != "valid" || v.Serial != a.serial || len(v.Names) != 1 || v.Names[0] != "a.admin.quarry.test" ||
			v.NotAfter != a.leaf.NotAfter.UTC().Format(time.RFC3339) || v.Revocation != nil {
			t.Errorf("cert show --json: got %+v, want valid %s for a.admin.quarry.test until %v", v, a.serial, a.leaf.NotAfter)
		}
	})

	if got := ocspStatus(t, a); got != xocsp.Good {
		t.Fatalf("OCSP before any revocation: got status %d, want good", got)
	}

	t.Run("revoke dry run changes nothing", func(t *testing.T) {
		out, errOut, code := c.admin("revoke", "--serial", a.serial, "--reason", "keyCompromise", "--comment", "rehearsal", "--dry-run")
		if code != 0 || !strings.Contains(out, "Would revoke") || strings.Contains(errOut, "level=AUDIT") {
			t.Errorf("revoke --dry-run: got exit %d, stdout %q, stderr %q; want exit 0, \"Would revoke\", no audit event", code, out, errOut)
		}
		if got := certStatus(t, c, a.serial); got != "valid" {
			t.Errorf("after a dry run: got status %s, want valid", got)
		}
	})

	t.Run("revoke reaches the served CRL", func(t *testing.T) {
		colons := strings.ToUpper(strings.Join(splitPairs(a.serial), ":"))
		out, errOut, code := c.admin("revoke", "--serial", colons, "--reason", "keyCompromise", "--comment", "ticket 1234: key posted publicly")
		if code != 0 || !strings.Contains(out, "Revoked certificate "+a.serial+" (keyCompromise)") {
			t.Fatalf("revoke: got exit %d, stdout %q, stderr %q; want exit 0 and the serial revoked", code, out, errOut)
		}
		for _, want := range []string{"level=AUDIT", `msg="certificate revoked"`, `comment="ticket 1234: key posted publicly"`, "operator=", "by=admin", "reason=keyCompromise"} {
			if !strings.Contains(errOut, want) {
				t.Errorf("audit event: got stderr %q, want %q", errOut, want)
			}
		}
		var v certView
		out, _, _ = c.admin("cert", "show", a.serial, "--json")
		if err := json.Unmarshal([]byte(out), &v); err != nil || v.Status != "revoked" || v.Revocation == nil || v.Revocation.Reason != "keyCompromise" || v.Revocation.RevokedAt == "" {
			t.Errorf("cert show after revoke: got %+v (%v), want revoked for keyCompromise with a time", v, err)
		}
		// The responder reads the status from the store on every request.
		if got := ocspStatus(t, a); got != xocsp.Revoked {
			t.Errorf("OCSP after the admin revocation: got status %d, want revoked (%d)", got, xocsp.Revoked)
		}
		// Nothing told the server: only its CRL generator's poll of the
		// store can put the serial on the CRL it serves.
		if !servedCRLLists(t, a.leaf, 15*time.Second) {
			t.Errorf("the served CRL at %s: got no entry for %s after 15s, want it listed", a.leaf.CRLDistributionPoints[0], a.serial)
		}
		// keyCompromise blocked the key: the running server refuses it.
		_, err := c.issueWithKey(ctx, "again.admin.quarry.test", a.key)
		var ae *xacme.Error
		if !errors.As(err, &ae) || ae.ProblemType != "urn:ietf:params:acme:error:badPublicKey" {
			t.Errorf("a CSR with the compromised key: got %v, want a badPublicKey problem", err)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		tests := []struct {
			name     string
			args     []string
			wantCode int
			wantErr  string
		}{
			{"already revoked", []string{"revoke", "--serial", a.serial, "--comment", "again"}, 1, "is already revoked (keyCompromise"},
			{"unknown serial", []string{"revoke", "--serial", "badc0ffee", "--comment", "x"}, 1, "quarry: no certificate with serial badc0ffee was issued by this CA\n"},
			{"unknown serial shown", []string{"cert", "show", "badc0ffee"}, 1, "no certificate with serial badc0ffee"},
			{"no comment", []string{"revoke", "--serial", b.serial}, 2, "--comment is required"},
			{"blank comment", []string{"revoke", "--serial", b.serial, "--comment", "  "}, 2, "--comment is required"},
			{"serial and file", []string{"revoke", "--serial", b.serial, "--serials-file", "x", "--comment", "x"}, 2, "exactly one of"},
			{"neither serial nor file", []string{"revoke", "--comment", "x"}, 2, "exactly one of"},
			{"bad reason", []string{"revoke", "--serial", b.serial, "--reason", "caCompromise", "--comment", "x"}, 2, "not one of"},
			{"bad serial", []string{"revoke", "--serial", "zz", "--comment", "x"}, 2, "is not a certificate serial"},
			{"missing serials file", []string{"revoke", "--serials-file", filepath.Join(t.TempDir(), "none"), "--comment", "x"}, 2, "cannot read the serials file"},
			{"bad account ID", []string{"account", "show", "one"}, 2, "not an account ID"},
			{"stray argument", []string{"order", "show", "1", "2"}, 2, "want ID"},
			{"unknown command", []string{"cert", "burn", "1"}, 2, "unknown command"},
			{"unknown order", []string{"order", "show", "99999"}, 1, "there is no order 99999"},
			{"unknown account", []string{"account", "show", "99999"}, 1, "there is no account 99999"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				out, errOut, code := c.admin(tc.args...)
				if code != tc.wantCode || !strings.Contains(errOut, tc.wantErr) {
					t.Errorf("quarry admin %s: got exit %d, stderr %q; want exit %d and %q", strings.Join(tc.args, " "), code, errOut, tc.wantCode, tc.wantErr)
				}
				if strings.Contains(errOut, "level=AUDIT") || (tc.wantCode != 0 && out != "") {
					t.Errorf("quarry admin %s: got stdout %q, stderr %q; want no output and no audit event", strings.Join(tc.args, " "), out, errOut)
				}
			})
		}
		if got := certStatus(t, c, b.serial); got != "valid" {
			t.Errorf("after the refusals: got %s status %s, want valid", b.serial, got)
		}
	})

	t.Run("serials file", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "serials.txt")
		body := "# incident 7\n" + b.serial + "\n\n" + strings.ToUpper(b.serial) + "  # the same again\n" + a.serial + "\nnot-a-serial\n" + "badc0ffee\n" + d.serial + "\n"
		if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		out, errOut, code := c.admin("revoke", "--serials-file", file, "--reason", "superseded", "--comment", "incident 7", "--json")
		var rep revokeReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("revoke --serials-file --json: got output %q (%v)", out, err)
		}
		want := []revokeResult{
			{Serial: b.serial, Outcome: outcomeRevoked},
			{Serial: a.serial, Outcome: outcomeAlreadyRevoked},
			{Serial: "not-a-serial", Outcome: outcomeInvalid},
			{Serial: "badc0ffee", Outcome: outcomeNotFound},
			{Serial: d.serial, Outcome: outcomeRevoked},
		}
		if code != 1 || rep.Revoked != 2 || rep.Failed != 3 || len(rep.Results) != len(want) {
			t.Fatalf("revoke --serials-file: got exit %d, %+v; want exit 1, 2 revoked, 3 failed, %d results", code, rep, len(want))
		}
		for i, w := range want {
			if got := rep.Results[i]; got.Serial != w.Serial || got.Outcome != w.Outcome || (got.Error == "") != (w.Outcome == outcomeRevoked) {
				t.Errorf("result %d: got %+v, want %s %s", i, got, w.Serial, w.Outcome)
			}
		}
		if n := strings.Count(errOut, "level=AUDIT"); n != 2 {
			t.Errorf("audit events: got %d in %q, want 2 (one per revocation)", n, errOut)
		}
		if !strings.Contains(errOut, "3 of 5 certificates were not revoked") {
			t.Errorf("stderr: got %q, want the count of failures", errOut)
		}
		for _, x := range []issued{b, d} {
			if !servedCRLLists(t, x.leaf, 15*time.Second) {
				t.Errorf("the served CRL: got no entry for %s after 15s, want it listed", x.serial)
			}
		}
		// The same file as text, dry run: all revoked by now.
		out, _, code = c.admin("revoke", "--serials-file", file, "--comment", "incident 7", "--dry-run")
		if code != 1 || !strings.Contains(out, "Dry run: would revoke 0 of 5 certificates; 3 already revoked, 1 not found, 1 invalid serial.") {
			t.Errorf("dry run of the file again: got exit %d, output\n%s", code, out)
		}
	})

	t.Run("order show", func(t *testing.T) {
		var v orderView
		out, errOut, code := c.admin("order", "show", b.orderID, "--json")
		if err := json.Unmarshal([]byte(out), &v); err != nil || code != 0 {
			t.Fatalf("order show --json: got exit %d, %v, output %q %q", code, err, out, errOut)
		}
		if v.Status != "valid" || v.Certificate != b.serial || len(v.Authzs) != 1 || v.Authzs[0].Identifier != "b.admin.quarry.test" ||
			v.Authzs[0].Status != "valid" || strconv.FormatInt(v.AccountID, 10) != c.acctID {
			t.Errorf("order show: got %+v, want valid with certificate %s, one valid authorization, account %s", v, b.serial, c.acctID)
		}
		out, _, code = c.admin("order", "show", "--json=false", b.orderID)
		if code != 0 || !strings.Contains(out, "Certificate:") || !strings.Contains(out, b.serial) {
			t.Errorf("order show: got exit %d, output\n%s", code, out)
		}
	})

	t.Run("account deactivate", func(t *testing.T) {
		out, _, code := c.admin("account", "show", c.acctID)
		if code != 0 || !strings.Contains(out, "valid") || !strings.Contains(out, "mailto:ops@example.org") {
			t.Errorf("account show: got exit %d, output\n%s", code, out)
		}
		out, errOut, code := c.admin("account", "deactivate", c.acctID, "--comment", "abuse report 9", "--dry-run")
		if code != 0 || !strings.Contains(out, "Would deactivate") || accountStatus(t, c) != "valid" {
			t.Errorf("deactivate --dry-run: got exit %d, output %q %q, status %s; want the account still valid", code, out, errOut, accountStatus(t, c))
		}
		out, errOut, code = c.admin("account", "deactivate", c.acctID, "--comment", "abuse report 9")
		if code != 0 || !strings.Contains(out, "Deactivated account") || !strings.Contains(errOut, `msg="account deactivated"`) ||
			!strings.Contains(errOut, `comment="abuse report 9"`) {
			t.Errorf("deactivate: got exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		if got := accountStatus(t, c); got != "deactivated" {
			t.Errorf("account after deactivate: got %s, want deactivated", got)
		}
		// The running server refuses the account, as after its own
		// deactivation request.
		if _, err := c.client.AuthorizeOrder(ctx, xacme.DomainIDs("e.admin.quarry.test")); err == nil {
			t.Error("new order with the deactivated account: got success, want a refusal")
		}
		_, errOut, code = c.admin("account", "deactivate", c.acctID, "--comment", "again")
		if code != 1 || !strings.Contains(errOut, "is already deactivated") {
			t.Errorf("second deactivate: got exit %d, stderr %q; want exit 1 saying so", code, errOut)
		}
	})
}

func certStatus(t *testing.T, c *caUnderTest, serial string) string {
	t.Helper()
	var v certView
	out, errOut, _ := c.admin("cert", "show", serial, "--json")
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("cert show %s: got %q %q", serial, out, errOut)
	}
	return string(v.Status)
}

func accountStatus(t *testing.T, c *caUnderTest) string {
	t.Helper()
	var v accountView
	out, errOut, _ := c.admin("account", "show", c.acctID, "--json")
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("account show: got %q %q", out, errOut)
	}
	return v.Status
}

// splitPairs splits hex into two-digit groups, as serials are often
// written (a leading zero added for an odd length).
func splitPairs(hex string) []string {
	if len(hex)%2 == 1 {
		hex = "0" + hex
	}
	var out []string
	for i := 0; i < len(hex); i += 2 {
		out = append(out, hex[i:i+2])
	}
	return out
}

func TestAdminMissingDatabase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nothing-here")
	var out, errOut bytes.Buffer
	err := run([]string{"admin", "cert", "show", "abc", "--data-dir", dir}, &out, &errOut)
	var ue usageError
	if err == nil || errors.As(err, &ue) || !strings.Contains(err.Error(), "there is no Quarry database") {
		t.Errorf("admin on a missing database: got %v, want a runtime error saying there is none", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("admin on a missing database: got %s created (%v), want nothing created", dir, err)
	}
}
