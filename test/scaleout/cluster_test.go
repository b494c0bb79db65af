package scaleout

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/internal/storage/postgres/pgtest"
	"github.com/quarry-ca/quarry/test/harness"
)

// instance is one quarry serve behind the balancer.
type instance struct {
	id         string
	acmeAddr   string // host:port of its HTTPS listener
	httpAddr   string // host:port of its plain-HTTP listener
	configPath string
	argv       []string
	proc       *harness.Proc
}

// cluster is the instances, the balancer in front and what clients need.
type cluster struct {
	dataDir    string
	rootsFile  string
	roots      *x509.CertPool
	publicURL  string // the balancer's HTTPS frontend
	issuerURL  string // the balancer's plain-HTTP frontend
	instances  []*instance
	balancer   *harness.Proc
	dnsAddr    string
	vaHTTPPort int
}

// balancerSource is the address HAProxy connects to the instances from,
// the one address they accept PROXY headers from; the test's own direct
// connections come from 127.0.0.1 and carry none.
const balancerSource = "127.0.0.3"

// limitedSource is the client address the registration limit test
// connects from; registrationLimit is NewRegistrationsPerIPAddress for it,
// and every other address (the other tests' 127.0.0.1) is exempt.
const (
	limitedSource     = "127.0.0.4"
	registrationLimit = 6
)

// rateLimitConfig turns on NewRegistrationsPerIPAddress at
// registrationLimit per 3h, with 127.0.0.1 overridden out of the way.
func rateLimitConfig() string {
	return fmt.Sprintf(`rate-limits:
  limits:
    NewRegistrationsPerIPAddress: {count: %d, period: 3h}
  overrides:
    - {limit: NewRegistrationsPerIPAddress, cidr: 127.0.0.1/32, count: 100000}
`, registrationLimit)
}

// leaseTime is short so the takeover after a kill is quick to see.
const leaseTime = 3 * time.Second

// storeConfig is the YAML that points every instance at the shared store:
// nothing for SQLite (quarry.db in the shared data directory), or the
// PostgreSQL DSN from QUARRY_TEST_POSTGRES. The key below is the
// PostgreSQL backend's; strict config decoding fails loudly if it changes.
func storeConfig(t *testing.T) string {
	t.Helper()
	if os.Getenv(pgtest.EnvVar) == "" && os.Getenv("CI") != "true" {
		t.Logf("instances share one SQLite file; set %s=%s to run them on PostgreSQL", pgtest.EnvVar, pgtest.CIDefault)
		return ""
	}
	return fmt.Sprintf("storage: %q\n", pgtest.NewDatabase(t))
}

// startCluster runs quarry init once, then n instances sharing the data
// directory and store, then HAProxy in front of them.
func startCluster(ctx context.Context, t *testing.T, bin string, n int, dnsAddr string, vaHTTPPort int) *cluster {
	t.Helper()
	c := &cluster{dataDir: t.TempDir(), dnsAddr: dnsAddr, vaHTTPPort: vaHTTPPort}
	c.rootsFile = filepath.Join(c.dataDir, "roots.pem")
	acmePort, plainPort := harness.FreePort(t), harness.FreePort(t)
	c.publicURL = "https://127.0.0.1:" + strconv.Itoa(acmePort)
	c.issuerURL = "http://127.0.0.1:" + strconv.Itoa(plainPort)

	harness.MustRun(ctx, t, nil, bin, "init", "--data-dir", c.dataDir, "--preset", "dev", "--key-types", "ecdsa")
	confDir := t.TempDir()
	store := storeConfig(t)
	for i := range n {
		inst := &instance{
			id:       fmt.Sprintf("q%d", i+1),
			acmeAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(harness.FreePort(t))),
			httpAddr: net.JoinHostPort("127.0.0.1", strconv.Itoa(harness.FreePort(t))),
		}
		inst.configPath = filepath.Join(confDir, inst.id+".yaml")
		conf := fmt.Sprintf("issuer-url: %s\nca:\n  key-types: [ecdsa]\ncluster:\n  enabled: true\n  instance-id: %s\n  instance-header: true\n  lease: %s\n  proxy-protocol-from: [%s]\n%s%s",
			c.issuerURL, inst.id, leaseTime, balancerSource, rateLimitConfig(), store)
		if err := os.WriteFile(inst.configPath, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		inst.argv = []string{bin, "serve", "--config", inst.configPath,
			"--data-dir", c.dataDir, "--listen", inst.acmeAddr, "--http-listen", inst.httpAddr,
			"--public-url", c.publicURL, "--preset", "dev",
			"--va-http-port", strconv.Itoa(vaHTTPPort), "--dns-resolver", dnsAddr,
			"--allow-private-addresses", "--log-level", "debug"}
		c.instances = append(c.instances, inst)
	}
	// One at a time, so the first applies the schema and writes the API's
	// TLS certificate before the others look.
	for _, inst := range c.instances {
		c.start(ctx, t, inst)
	}
	c.roots = loadRoots(t, c.rootsFile)
	c.balancer = startHAProxy(ctx, t, c, acmePort, plainPort)
	return c
}

// start runs one instance and waits until its /readyz answers 200.
func (c *cluster) start(ctx context.Context, t *testing.T, inst *instance) {
	t.Helper()
	inst.proc = harness.StartProc(t, inst.id, nil, inst.argv...)
	t.Cleanup(func() {
		if err := inst.proc.Stop(); err != nil && !strings.Contains(err.Error(), "already exited") {
			t.Errorf("%s did not exit cleanly on SIGTERM: %v", inst.id, err)
		}
	})
	deadline := time.Now().Add(90 * time.Second)
	for {
		if _, err := os.Stat(c.rootsFile); err == nil {
			if status, _, err := c.get(ctx, "https://"+inst.acmeAddr+"/readyz"); err == nil && status == http.StatusOK {
				return
			}
		}
		select {
		case <-inst.proc.Exited():
			t.Fatalf("%s exited before it was ready:\n%s", inst.id, inst.proc.Output())
		case <-ctx.Done():
			t.Fatalf("%s: %v", inst.id, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s was not ready after 90s:\n%s", inst.id, inst.proc.Output())
		}
	}
}

// get fetches url trusting Quarry's roots on a fresh connection, and
// returns the status and the answering instance.
func (c *cluster) get(ctx context.Context, url string) (int, string, error) {
	roots := c.roots
	if roots == nil {
		roots = loadRootsOptional(c.rootsFile)
	}
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots}, DisableKeepAlives: true,
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, "", err
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("X-Quarry-Instance"), nil
}

// holders returns the instances whose logs say they hold the
// background-jobs lease now: they took it and have not lost it since (a
// killed instance's log ends as it was).
func (c *cluster) holders() []string {
	var ids []string
	for _, inst := range c.instances {
		log := inst.proc.Output()
		took := strings.LastIndex(log, "this instance now runs background jobs")
		lost := strings.LastIndex(log, "this instance lost the lease")
		if took >= 0 && took > lost {
			ids = append(ids, inst.id)
		}
	}
	return ids
}

// problems counts the ACME problems of one type that instances' request
// logs report.
func (c *cluster) problems(typ string) int {
	n := 0
	for _, inst := range c.instances {
		n += strings.Count(inst.proc.Output(), "problem=urn:ietf:params:acme:error:"+typ)
	}
	return n
}

func loadRoots(t *testing.T, path string) *x509.CertPool {
	t.Helper()
	pool := loadRootsOptional(path)
	if pool == nil {
		t.Fatalf("no certificates in %s", path)
	}
	return pool
}

func loadRootsOptional(path string) *x509.CertPool {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil
	}
	return pool
}
