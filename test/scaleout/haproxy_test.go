package scaleout

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/test/harness"
)

// haproxyConfig balances new connections round-robin over the instances:
// TCP mode on the HTTPS side (TLS passes through to quarry, which holds
// the certificate), health-checked with /readyz; a connection that cannot
// reach a dead instance is redispatched to a live one. HAProxy connects
// from balancerSource and starts each connection, checks included, with a
// PROXY v2 header naming the client.
func haproxyConfig(c *cluster, acmePort, plainPort int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `global
    maxconn 2000

defaults
    mode tcp
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout check 2s
    retries 2
    option redispatch

frontend acme
    bind 127.0.0.1:%d
    default_backend quarry_acme

backend quarry_acme
    balance roundrobin
    source %s
    option httpchk GET /readyz
    default-server send-proxy-v2 check check-send-proxy check-ssl verify none inter 500ms fall 3 rise 2
`, acmePort, balancerSource)
	for _, inst := range c.instances {
		fmt.Fprintf(&b, "    server %s %s\n", inst.id, inst.acmeAddr)
	}
	fmt.Fprintf(&b, `
frontend plain
    bind 127.0.0.1:%d
    default_backend quarry_plain

backend quarry_plain
    balance roundrobin
    source %s
    option httpchk GET /readyz
    default-server send-proxy-v2 check check-send-proxy inter 500ms fall 3 rise 2
`, plainPort, balancerSource)
	for _, inst := range c.instances {
		fmt.Fprintf(&b, "    server %s %s\n", inst.id, inst.httpAddr)
	}
	return b.String()
}

// startHAProxy runs haproxy in the foreground as a user process and waits
// until the directory answers through it from every instance.
func startHAProxy(ctx context.Context, t *testing.T, c *cluster, acmePort, plainPort int) *harness.Proc {
	t.Helper()
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(haproxyConfig(c, acmePort, plainPort)), 0o600); err != nil {
		t.Fatal(err)
	}
	harness.MustRun(ctx, t, nil, "haproxy", "-c", "-f", path)
	p := harness.StartProc(t, "haproxy", nil, "haproxy", "-db", "-f", path)
	seen := map[string]bool{}
	deadline := time.Now().Add(30 * time.Second)
	for len(seen) < len(c.instances) {
		if status, id, err := c.get(ctx, c.publicURL+"/directory"); err == nil && status == 200 && id != "" {
			seen[id] = true
		}
		select {
		case <-p.Exited():
			t.Fatalf("haproxy exited:\n%s", p.Output())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("through haproxy after 30s: got answers from %v, want all %d instances\n%s", seen, len(c.instances), p.Output())
		}
	}
	return p
}
