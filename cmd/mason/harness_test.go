package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/quarry-ca/quarry/internal/config"
	"github.com/quarry-ca/quarry/internal/server"
	"github.com/quarry-ca/quarry/internal/testdns"
)

const (
	tsigName = "mason-test."
	// tsigSecret is 32 bytes, base64: test data, not a real credential.
	tsigSecret = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
)

// quarry is an in-process Quarry whose VA validates on ports the test picks,
// with a TSIG-guarded DNS server it resolves through.
type quarry struct {
	srv      *server.Server
	dns      *testdns.Server
	roots    string // path of roots.pem, for --ca-bundle
	httpPort int
	tlsPort  int
}

func startQuarry(t *testing.T, mutate ...func(*config.Config)) *quarry {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	q := &quarry{httpPort: freePort(t), tlsPort: freePort(t)}
	var err error
	q.dns, err = testdns.Start(ctx, testdns.Config{
		DefaultA: []net.IP{net.IPv4(127, 0, 0, 1)},
		TSIG:     map[string]string{tsigName: tsigSecret},
	})
	if err != nil {
		t.Fatalf("starting DNS: %v", err)
	}
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Listen, cfg.HTTPListen = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Preset = config.PresetDev
	cfg.VA.HTTPPort, cfg.VA.TLSPort = q.httpPort, q.tlsPort
	cfg.VA.DNSResolver = q.dns.Addr()
	cfg.VA.Timeout = config.Duration(5 * time.Second)
	for _, m := range mutate {
		m(&cfg)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	q.srv, err = server.New(ctx, cfg, log)
	if err != nil {
		t.Fatalf("starting quarry: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- q.srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		q.dns.Close()
	})
	q.roots = q.srv.RootsPath()
	return q
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	n, _ := strconv.Atoi(p)
	return n
}

// serveWebroot runs a plain file server for root on the VA's http port, as
// the web server a --webroot user already has.
func (q *quarry) serveWebroot(t *testing.T, root string) func() {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(q.httpPort))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(root))}
	go srv.Serve(ln)
	return func() { srv.Close() }
}

// mason runs one command in-process and returns its exit code and output.
type runner struct {
	t      *testing.T
	q      *quarry
	dir    string
	now    time.Time // zero means the real clock
	mu     sync.Mutex
	stdout bytes.Buffer
	stderr bytes.Buffer
}

func newRunner(t *testing.T, q *quarry) *runner {
	return &runner{t: t, q: q, dir: filepath.Join(t.TempDir(), "mason")}
}

func (r *runner) run(args ...string) (int, string, string) {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stdout.Reset()
	r.stderr.Reset()
	now := time.Now
	if !r.now.IsZero() {
		fixed := r.now
		now = func() time.Time { return fixed }
	}
	e := env{
		stdout: &r.stdout, stderr: &r.stderr, getenv: os.Getenv, now: now,
		rand: rand.New(rand.NewPCG(1, 2)), euid: 1000,
	}
	cmd := 1
	if (args[0] == "account" || args[0] == "schedule") && len(args) > 1 {
		cmd = 2 // flags follow the subcommand
	}
	full := append(append(slices.Clone(args[:cmd]), "--config-dir", r.dir), args[cmd:]...)
	if args[0] != "certificates" && args[0] != "delete" && !slices.Contains(args, "--server") {
		full = append(full, "--server", r.q.srv.DirectoryURL(), "--ca-bundle", r.q.roots)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := run(ctx, e, full)
	return code, r.stdout.String(), r.stderr.String()
}

// TestMain doubles as a DNS provider's hook: run with MASON_TEST_HOOK_DNS
// set, the test binary publishes through RFC 2136 as `hook add|remove
// FQDN VALUE`, as an operator's script would through a provider's API.
func TestMain(m *testing.M) {
	if addr := os.Getenv("MASON_TEST_HOOK_DNS"); addr != "" {
		os.Exit(hookMain(addr, os.Args[1:]))
	}
	os.Exit(m.Run())
}

func hookMain(addr string, args []string) int {
	if len(args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: hook add|remove FQDN VALUE")
		return 2
	}
	rr := &dns.TXT{Hdr: dns.RR_Header{Name: args[1], Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}, Txt: []string{args[2]}}
	m := new(dns.Msg)
	m.SetUpdate(args[1][strings.Index(args[1], ".")+1:])
	if args[0] == "add" {
		m.Insert([]dns.RR{rr})
	} else {
		m.Remove([]dns.RR{rr})
	}
	m.SetTsig(tsigName, dns.HmacSHA256, 300, time.Now().Unix())
	c := &dns.Client{Net: "tcp", TsigSecret: map[string]string{tsigName: tsigSecret}}
	in, _, err := c.Exchange(m, addr)
	if err != nil || in.Rcode != dns.RcodeSuccess {
		fmt.Fprintln(os.Stderr, "update failed:", err, in)
		return 1
	}
	return 0
}

// dnsHookScript writes a hook that logs its arguments to logPath and
// publishes through the test binary's hookMain.
func dnsHookScript(t *testing.T, q *quarry, logPath string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return writeScript(t, fmt.Sprintf("echo \"$@\" >> %s\nMASON_TEST_HOOK_DNS=%s exec %s \"$@\"\n", logPath, q.dns.Addr(), exe))
}
