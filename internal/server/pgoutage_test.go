package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/config"
	"github.com/quarry-ca/quarry/internal/storage/postgres/pgtest"
)

// cutProxy forwards TCP connections to a target until cut: then it closes
// every open connection and every new one at once, the way a database
// behind a broken network or a restarting server looks to a client, until
// restored.
type cutProxy struct {
	ln     net.Listener
	target string

	mu      sync.Mutex
	cut     bool
	stalled bool       // bytes are held, not forwarded, as in a partition
	resumed *sync.Cond // signalled when stalled ends
	conns   map[net.Conn]struct{}
	wg      sync.WaitGroup
}

func startCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	p := &cutProxy{ln: listen(t), target: target, conns: map[net.Conn]struct{}{}}
	p.resumed = sync.NewCond(&p.mu)
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() {
		p.ln.Close()
		p.setCut(true)
		p.wg.Wait()
	})
	return p
}

func (p *cutProxy) addr() string { return p.ln.Addr().String() }

func (p *cutProxy) serve() {
	defer p.wg.Done()
	for {
		down, err := p.ln.Accept()
		if err != nil {
			return
		}
		if p.isCut() {
			down.Close()
			continue
		}
		up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
		if err != nil {
			down.Close()
			continue
		}
		// Checked again under the lock: a connection dialled while the
		// proxy was being cut must not slip through.
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			down.Close()
			up.Close()
			continue
		}
		p.conns[down], p.conns[up] = struct{}{}, struct{}{}
		p.wg.Add(2)
		p.mu.Unlock()
		go p.pipe(down, up)
		go p.pipe(up, down)
	}
}

// pipe copies one direction, holding what it reads while the proxy is
// stalled, and closes both ends when either fails.
func (p *cutProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			for p.stalled && !p.cut {
				p.resumed.Wait()
			}
			p.mu.Unlock()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
	dst.Close()
	src.Close()
}

func (p *cutProxy) isCut() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cut
}

// setCut cuts (closing what is open) or restores the proxy.
func (p *cutProxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for c := range p.conns {
			c.Close()
		}
		p.resumed.Broadcast()
	}
}

// setStalled holds every byte in both directions, new connections
// included, until called with false: the database neither answers nor
// refuses, as behind a network partition.
func (p *cutProxy) setStalled(stalled bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stalled = stalled
	if !stalled {
		p.resumed.Broadcast()
	}
}

// proxiedDSN points dsn at the proxy instead of the server, and returns
// the server's address for the proxy to forward to.
func proxiedDSN(t *testing.T, dsn string) (target string, via func(proxyAddr string) string) {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || u.Hostname() == "" {
		t.Fatalf("%s: want a postgres:// URL with a host", pgtest.EnvVar)
	}
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	return net.JoinHostPort(u.Hostname(), port), func(proxyAddr string) string {
		v := *u
		v.Host = proxyAddr
		return v.String()
	}
}

// TestPostgresConnectionLoss runs a cluster instance on PostgreSQL through
// a TCP proxy, cuts the connection, and checks that the instance says it
// is not ready, answers requests that need the database with a bare
// serverInternal problem, and recovers by itself once the connection is
// back: ready again, and a complete issuance works. With shared nonces
// requests fail at the nonce; with nonces in memory they get further, to
// the account lookups of the verifier and the RA.
func TestPostgresConnectionLoss(t *testing.T) {
	for _, nonces := range []string{config.NoncesShared, config.NoncesMemory} {
		t.Run(nonces+" nonces", func(t *testing.T) { testConnectionLoss(t, nonces) })
	}
}

func testConnectionLoss(t *testing.T, nonces string) {
	dsn := pgtest.NewDatabase(t)
	target, via := proxiedDSN(t, dsn)
	px := startCutProxy(t, target)
	e := startEnv(t, func(c *config.Config) {
		c.Storage = via(px.addr())
		c.Cluster = config.Cluster{Enabled: true, InstanceID: "pg-outage", Nonces: nonces}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := newRaw(t, e) // registers an account while the database is there
	c := e.client()
	e.register(ctx, c)
	ready := []string{r.base + "/readyz", "http://" + e.srv.HTTPAddr() + "/readyz"}

	px.setCut(true)
	for _, u := range ready {
		if got := getStatus(t, r.http, u); got != http.StatusServiceUnavailable {
			t.Errorf("connection cut: GET %s: got %d, want 503", u, got)
		}
	}
	// Neither directory nor nonces need the database: clients can still
	// reach the requests that tell them what is wrong.
	if got := getStatus(t, r.http, r.dir.NewNonce); got != http.StatusNoContent && got != http.StatusOK {
		t.Errorf("connection cut: GET new-nonce: got %d, want 200 or 204", got)
	}
	acct := r.kid
	for _, tt := range []struct {
		name    string
		url     string
		kid     string
		payload string
	}{
		{"new account", r.dir.NewAccount, "", `{"termsOfServiceAgreed":true}`},
		{"new order", r.dir.NewOrder, acct, `{"identifiers":[{"type":"dns","value":"outage.quarry.test"}]}`},
		{"account lookup", acct, acct, ``},
	} {
		key := r.key
		if tt.kid == "" {
			key = ecKey()
		}
		resp := r.post(tt.url, r.sign(key, tt.kid, tt.url, []byte(tt.payload)))
		checkBareInternal(t, "connection cut: "+tt.name, resp, px.addr(), target)
	}

	px.setCut(false)
	restored := time.Now()
	for _, u := range ready {
		waitStatus(t, r.http, u, http.StatusOK, 10*time.Second)
	}
	t.Logf("ready again %v after the connection came back", time.Since(restored).Round(time.Millisecond))
	chain := e.issue(ctx, c, "after-outage.quarry.test")
	e.verify(chain, "after-outage.quarry.test")
	resp := r.post(acct, r.sign(r.key, acct, acct, nil))
	if resp.StatusCode != http.StatusOK {
		t.Errorf("account lookup after the outage: got %d %s, want 200", resp.StatusCode, resp.body)
	}
}

// checkBareInternal wants a 500 serverInternal problem whose text says
// nothing about the database or the network.
func checkBareInternal(t *testing.T, what string, resp rawResp, secrets ...string) {
	t.Helper()
	var p acme.Problem
	if err := json.Unmarshal(resp.body, &p); err != nil {
		t.Fatalf("%s: got %d %q, want a problem document", what, resp.StatusCode, resp.body)
	}
	if resp.StatusCode != http.StatusInternalServerError || p.Type != acme.ProblemServerInternal {
		t.Errorf("%s: got %d %s (%s), want 500 %s", what, resp.StatusCode, p.Type, p.Detail, acme.ProblemServerInternal)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s: got Content-Type %q, want application/problem+json", what, ct)
	}
	const bare = "the server had an internal error; try again later"
	if p.Detail != bare {
		t.Errorf("%s: got detail %q, want %q", what, p.Detail, bare)
	}
	body := strings.ToLower(string(resp.body))
	for _, s := range append(secrets, "postgres", "pgx", "sql", "dial", "eof", "connect", "tcp") {
		if strings.Contains(body, strings.ToLower(s)) {
			t.Errorf("%s: the problem document mentions %q: %s", what, s, resp.body)
		}
	}
}

// waitStatus polls url until it answers want, failing after within.
func waitStatus(t *testing.T, c *http.Client, url string, want int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	got := 0
	for time.Now().Before(deadline) {
		if got = getStatus(t, c, url); got == want {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("GET %s: got %d for %v, want %d", url, got, within, want)
}

// TestPostgresPartition stalls the connection to PostgreSQL instead of
// cutting it: bytes are held, nothing is refused, as behind a network
// partition. /readyz answers 503 within its own bound, requests that need
// the database get a bare serverInternal problem once the request timeout
// passes instead of hanging, and once the partition heals the instance
// serves again by itself.
func TestPostgresPartition(t *testing.T) {
	const timeout = 3 * time.Second
	dsn := pgtest.NewDatabase(t)
	target, via := proxiedDSN(t, dsn)
	px := startCutProxy(t, target)
	e := startEnv(t, func(c *config.Config) {
		c.Storage = via(px.addr())
		c.Cluster = config.Cluster{Enabled: true, InstanceID: "pg-partition"}
	})
	e.srv.SetRequestTimeoutForTest(timeout)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r := newRaw(t, e)
	r.http.Timeout = 4 * timeout // a hang fails the test instead of stalling it
	c := e.client()
	e.register(ctx, c)
	acct := r.kid

	px.setStalled(true)
	start := time.Now()
	if got := getStatus(t, r.http, r.base+"/readyz"); got != http.StatusServiceUnavailable {
		t.Errorf("partition: GET /readyz: got %d, want 503", got)
	}
	// Its bound is 2s; the rest is slack for a loaded machine.
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("partition: GET /readyz took %v, want about 2s (its bound), not a hang", took.Round(time.Millisecond))
	}
	requests := []struct {
		name, url, kid, payload string
	}{
		{"new account", r.dir.NewAccount, "", `{"termsOfServiceAgreed":true}`},
		{"new order", r.dir.NewOrder, acct, `{"identifiers":[{"type":"dns","value":"partition.quarry.test"}]}`},
	}
	bodies := make([][]byte, len(requests))
	for i, tt := range requests {
		key := r.key
		if tt.kid == "" {
			key = ecKey()
		}
		bodies[i] = r.sign(key, tt.kid, tt.url, []byte(tt.payload))
	}
	var wg sync.WaitGroup
	for i, tt := range requests {
		wg.Go(func() {
			start := time.Now()
			req, _ := http.NewRequest(http.MethodPost, tt.url, strings.NewReader(string(bodies[i])))
			req.Header.Set("Content-Type", "application/jose+json")
			res, err := r.http.Do(req)
			if err != nil {
				t.Errorf("partition: %s: %v, want an answer within the request timeout", tt.name, err)
				return
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			took := time.Since(start)
			if took > timeout+2*time.Second {
				t.Errorf("partition: %s answered after %v, want within the request timeout (%v)", tt.name, took.Round(time.Millisecond), timeout)
			}
			checkBareInternal(t, "partition: "+tt.name, rawResp{res, body}, px.addr(), target, "deadline", "context")
		})
	}
	wg.Wait()

	px.setStalled(false)
	healed := time.Now()
	waitStatus(t, r.http, r.base+"/readyz", http.StatusOK, 10*time.Second)
	t.Logf("ready again %v after the partition healed", time.Since(healed).Round(time.Millisecond))
	e.verify(e.issue(ctx, c, "after-partition.quarry.test"), "after-partition.quarry.test")
}
