package scaleout

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/jose"
	"github.com/quarry-ca/quarry/internal/testdns"
	"github.com/quarry-ca/quarry/test/harness"
)

// strict says whether missing programs fail the test rather than skip it;
// scripts/test.sh sets CI=true after installing them.
func strict() bool { return os.Getenv("CI") == "true" }

// Sizes of the runs.
const (
	instances     = 3
	issuances     = 200 // through the balancer, every one must succeed
	workers       = 8
	killIssuances = 60 // the run during which one instance is killed
	killWorkers   = 6
	killAfter     = 15 // successes before the kill
)

func TestScaleOut(t *testing.T) {
	harness.RequireTools(t, strict(), "haproxy", "certbot", "lego", "openssl")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	dns, err := testdns.Start(ctx, testdns.Config{DefaultA: []net.IP{net.ParseIP("127.0.0.1")}})
	if err != nil {
		t.Fatalf("starting test DNS: %v", err)
	}
	t.Cleanup(func() { _ = dns.Close() })
	resp := startResponder(t)
	c := startCluster(ctx, t, harness.BuildQuarry(ctx, t), instances, dns.Addr(), resp.port)
	if got := c.holders(); len(got) != 1 {
		t.Errorf("after start: got lease holders %v, want exactly one instance", got)
	}

	t.Run("nonce from A accepted on B then refused on C", func(t *testing.T) { testNonceAcrossInstances(ctx, t, c) })
	t.Run("PROXY protocol names the client", func(t *testing.T) { testProxyProtocol(ctx, t, c) })
	t.Run("issuances through the balancer", func(t *testing.T) { testIssuances(ctx, t, c, resp) })
	t.Run("certbot through the balancer", func(t *testing.T) { testCertbot(ctx, t, c, resp) })
	t.Run("lego through the balancer", func(t *testing.T) { testLego(ctx, t, c, resp) })
	t.Run("registration limit reached across instances", func(t *testing.T) { testRegistrationLimit(ctx, t, c) })
	t.Run("one order finalized on two instances at once", func(t *testing.T) { testConcurrentFinalize(ctx, t, c, resp) })
	t.Run("one instance killed mid-run", func(t *testing.T) { testKill(ctx, t, c, resp) })
}

// testNonceAcrossInstances talks to the instances directly, past the
// balancer: a nonce from q1 is redeemed by q2, then refused by q3.
func testNonceAcrossInstances(ctx context.Context, t *testing.T, c *cluster) {
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: c.roots}}}
	a, b, third := c.instances[0], c.instances[1], c.instances[2]
	req, _ := http.NewRequestWithContext(ctx, http.MethodHead, "https://"+a.acmeAddr+"/acme/new-nonce", nil)
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	nonce := res.Header.Get("Replay-Nonce")
	if nonce == "" || res.Header.Get("X-Quarry-Instance") != a.id {
		t.Fatalf("new-nonce on %s: got nonce %q from %q", a.id, nonce, res.Header.Get("X-Quarry-Instance"))
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	// The JWS names the public URL, wherever the request lands.
	body, err := jose.Sign(key, "", nonce, c.publicURL+"/acme/new-account", []byte(`{"termsOfServiceAgreed":true}`))
	if err != nil {
		t.Fatal(err)
	}
	post := func(inst *instance) (int, acme.Problem, string) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "https://"+inst.acmeAddr+"/acme/new-account", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/jose+json")
		res, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var p acme.Problem
		if res.StatusCode >= 400 {
			_ = json.NewDecoder(res.Body).Decode(&p)
		}
		return res.StatusCode, p, res.Header.Get("X-Quarry-Instance")
	}
	if status, p, id := post(b); status != http.StatusCreated || id != b.id {
		t.Fatalf("%s's nonce on %s: got %d %s from %s, want 201 from %s", a.id, b.id, status, p.Detail, id, b.id)
	}
	if status, p, id := post(third); status != http.StatusBadRequest || p.Type != acme.ProblemBadNonce || id != third.id {
		t.Fatalf("the same nonce again on %s: got %d %s from %s, want 400 badNonce", third.id, status, p.Type, id)
	}
}

// testProxyProtocol connects to the balancer from 127.0.0.2: the instance
// that answers logs the client's address, not the balancer's.
func testProxyProtocol(ctx context.Context, t *testing.T, c *cluster) {
	const clientSource = "127.0.0.2"
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: c.roots},
		DialContext:       (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(clientSource)}}).DialContext,
		DisableKeepAlives: true,
	}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.publicURL+"/directory?proxy-check", nil)
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	id := res.Header.Get("X-Quarry-Instance")
	for _, inst := range c.instances {
		out := inst.proc.Output()
		if inst.id == id && !strings.Contains(out, "remote="+clientSource+":") {
			t.Errorf("%s answered but logged no request from %s", id, clientSource)
		}
		if n := strings.Count(out, "remote="+balancerSource+":"); n != 0 {
			t.Errorf("%s logged %d requests from the balancer's own address, want every one under its client's", inst.id, n)
		}
	}
}

// testIssuances runs complete issuances through the balancer: every one
// succeeds, every instance answers a fair share, and no request meets a
// badNonce although consecutive requests land on different instances.
func testIssuances(ctx context.Context, t *testing.T, c *cluster, resp *responder) {
	cnt := &counts{by: map[string]int{}}
	badBefore := c.problems("badNonce")
	start := time.Now()
	l := &load{c: c, resp: resp, cnt: cnt, total: issuances, workers: workers, flowTimeout: 2 * time.Minute, prefix: "ok"}
	ok, errs := l.run(ctx, t)
	t.Logf("%d issuances in %v; responses by instance: %v", ok, time.Since(start).Round(time.Millisecond), cnt.snapshot())
	for i, err := range errs {
		if i < 5 {
			t.Errorf("%v", err)
		}
	}
	if ok != issuances || len(errs) != 0 {
		t.Fatalf("got %d issuances and %d errors, want %d and none", ok, len(errs), issuances)
	}
	by := cnt.snapshot()
	total := 0
	for _, n := range by {
		total += n
	}
	for _, inst := range c.instances {
		if by[inst.id] < total/(4*instances) {
			t.Errorf("%s answered %d of %d responses, want at least a quarter of a fair share", inst.id, by[inst.id], total)
		}
	}
	if by[""] != 0 {
		t.Errorf("got %d responses without X-Quarry-Instance, want none", by[""])
	}
	if got := c.problems("badNonce") - badBefore; got != 0 {
		t.Errorf("got %d badNonce problems during the run, want none: nonces must be valid on every instance", got)
	}
	if got := c.problems("serverInternal"); got != 0 {
		t.Errorf("got %d serverInternal problems, want none", got)
	}
}

// testCertbot obtains a certificate with certbot through the balancer.
func testCertbot(ctx context.Context, t *testing.T, c *cluster, resp *responder) {
	dir := t.TempDir()
	harness.MustRun(ctx, t, []string{"REQUESTS_CA_BUNDLE=" + c.rootsFile},
		"certbot", "certonly", "--webroot", "-w", resp.webroot,
		"--server", c.publicURL+"/directory",
		"--config-dir", filepath.Join(dir, "config"), "--work-dir", filepath.Join(dir, "work"),
		"--logs-dir", filepath.Join(dir, "logs"), "--non-interactive",
		"--agree-tos", "--email", "a@example.org", "--cert-name", "scaleout",
		"-d", "certbot.scale.quarry.test", "-d", "www.certbot.scale.quarry.test")
	live := filepath.Join(dir, "config", "live", "scaleout")
	harness.VerifyChain(ctx, t, c.rootsFile, filepath.Join(live, "chain.pem"), filepath.Join(live, "cert.pem"))
	harness.CheckNames(t, harness.ReadCerts(t, filepath.Join(live, "cert.pem"))[0], "certbot.scale.quarry.test", "www.certbot.scale.quarry.test")
}

// testLego obtains a certificate with lego through the balancer.
func testLego(ctx context.Context, t *testing.T, c *cluster, resp *responder) {
	dir := t.TempDir()
	harness.MustRun(ctx, t, []string{"LEGO_CA_CERTIFICATES=" + c.rootsFile},
		"lego", "--server", c.publicURL+"/directory", "--email", "a@example.org", "--accept-tos",
		"--path", dir, "--http", "--http.webroot", resp.webroot,
		"-d", "lego.scale.quarry.test", "run")
	base := filepath.Join(dir, "certificates", "lego.scale.quarry.test")
	harness.VerifyChain(ctx, t, c.rootsFile, base+".issuer.crt", base+".crt")
	harness.CheckNames(t, harness.ReadCerts(t, base+".crt")[0], "lego.scale.quarry.test")
}

// testKill kills the lease holder with SIGKILL mid-run: the other
// instances carry the run on, at most the flows in flight at the kill
// fail, and another instance takes the lease within the lease time.
func testKill(ctx context.Context, t *testing.T, c *cluster, resp *responder) {
	holders := c.holders()
	if len(holders) != 1 {
		t.Fatalf("before the kill: got lease holders %v, want one", holders)
	}
	var victim *instance
	for _, inst := range c.instances {
		if inst.id == holders[0] {
			victim = inst
		}
	}
	cnt := &counts{by: map[string]int{}}
	killed := make(chan time.Time, 1)
	var atKill map[string]int
	l := &load{c: c, resp: resp, cnt: cnt, total: killIssuances, workers: killWorkers, flowTimeout: 45 * time.Second, prefix: "kill",
		progress: func(done int) {
			if done == killAfter {
				victim.proc.Kill()
				atKill = cnt.snapshot()
				killed <- time.Now()
			}
		}}
	ok, errs := l.run(ctx, t)
	t.Logf("killed %s after %d issuances; %d of %d succeeded; responses by instance: %v", victim.id, killAfter, ok, killIssuances, cnt.snapshot())
	for _, err := range errs {
		t.Logf("failed flow: %v", err)
	}
	var killedAt time.Time
	select {
	case killedAt = <-killed:
	default:
		t.Fatalf("the run ended before %d successes, so nothing was killed; errors: %v", killAfter, errs)
	}
	// Each worker has one flow in flight: at most that many can die with
	// the instance.
	if len(errs) > killWorkers {
		t.Errorf("got %d failed flows, want at most %d (one in flight per worker)", len(errs), killWorkers)
	}
	after := cnt.snapshot()
	for _, inst := range c.instances {
		if inst != victim && after[inst.id]-atKill[inst.id] == 0 {
			t.Errorf("%s answered nothing after the kill, want it to carry on", inst.id)
		}
	}
	// Another instance takes the lease once the dead one's expires.
	deadline := killedAt.Add(leaseTime + 3*time.Second)
	for {
		var survivors []string
		for _, id := range c.holders() {
			if id != victim.id {
				survivors = append(survivors, id)
			}
		}
		if len(survivors) == 1 {
			t.Logf("lease taken over by %s %v after the kill", survivors[0], time.Since(killedAt).Round(10*time.Millisecond))
			break
		}
		if len(survivors) > 1 {
			t.Fatalf("after the kill: got lease holders %v, want one", survivors)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no instance took the lease within %v of the kill", leaseTime+3*time.Second)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The balancer's plain-HTTP side serves CRLs from the survivors.
	status, id, err := c.get(ctx, c.issuerURL+"/readyz")
	if err != nil || status != http.StatusOK || id == victim.id {
		t.Errorf("plain-HTTP readyz through the balancer: got %d from %q (%v), want 200 from a survivor", status, id, err)
	}
}
