package harness

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// NginxStapling says what nginx serves over TLS with OCSP stapling on.
type NginxStapling struct {
	FullchainFile string // leaf first, then its chain
	KeyFile       string
	// TrustedFile holds the roots and intermediates nginx verifies each
	// OCSP response with before stapling it (ssl_stapling_verify).
	TrustedFile string
}

// nginxConf is a single-process nginx kept entirely in one directory, so
// it runs without root and leaves nothing behind.
const nginxConf = `daemon off;
master_process off;
pid {{dir}}/nginx.pid;
error_log {{dir}}/error.log info;
events {}
http {
	access_log off;
	client_body_temp_path {{dir}}/tmp;
	proxy_temp_path {{dir}}/tmp;
	fastcgi_temp_path {{dir}}/tmp;
	uwsgi_temp_path {{dir}}/tmp;
	scgi_temp_path {{dir}}/tmp;
	server {
		listen {{addr}} ssl;
		ssl_certificate {{fullchain}};
		ssl_certificate_key {{key}};
		ssl_stapling on;
		ssl_stapling_verify on;
		ssl_trusted_certificate {{trusted}};
		return 200 "ok\n";
	}
}
`

// StartNginxStapling starts nginx on a free loopback port serving opts
// with OCSP stapling and its verification on, and returns the address.
// nginx fetches the response from the responder in the leaf's AIA when a
// handshake first asks for one.
func StartNginxStapling(ctx context.Context, t testing.TB, opts NginxStapling) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "tmp"), 0o700); err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t)))
	conf := strings.NewReplacer("{{dir}}", dir, "{{addr}}", addr, "{{fullchain}}", opts.FullchainFile,
		"{{key}}", opts.KeyFile, "{{trusted}}", opts.TrustedFile).Replace(nginxConf)
	confFile := filepath.Join(dir, "nginx.conf")
	writeFile(t, confFile, []byte(conf))
	errorLog := filepath.Join(dir, "error.log")
	t.Cleanup(func() {
		if b, err := os.ReadFile(errorLog); err == nil && t.Failed() {
			t.Logf("---- nginx error.log ----\n%s", tail(string(b), logTail))
		}
	})
	// -e moves the log nginx opens before reading its configuration.
	p := StartProc(t, "nginx", nil, "nginx", "-p", dir, "-e", errorLog, "-c", confFile)
	deadline := time.Now().Add(readyTimeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			return addr
		}
		select {
		case <-p.Exited():
			t.Fatalf("nginx exited at start: %v", p.exitErr("at start"))
		case <-ctx.Done():
			t.Fatalf("waiting for nginx on %s: %v", addr, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx did not listen on %s within %v: %v", addr, readyTimeout, err)
		}
	}
}

// certStatusLine is how `openssl s_client -status` prints a stapled
// response's status for the certificate.
var certStatusLine = regexp.MustCompile(`(?m)^\s*Cert Status: (\w+)\s*$`)

// StapledStatus connects to addr with `openssl s_client -status`, trusting
// only rootsFile, until the server staples an OCSP response or wait runs
// out, and returns the stapled certificate status ("good", "revoked").
// A server fetches its first response in the background, so the first
// handshakes may carry none.
func StapledStatus(ctx context.Context, t testing.TB, addr, serverName, rootsFile string, wait time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		out, err := Run(ctx, t, nil, "openssl", "s_client", "-connect", addr, "-servername", serverName,
			"-status", "-CAfile", rootsFile, "-verify_return_error")
		if err != nil {
			t.Fatalf("openssl s_client to %s: %v\n%s", addr, err, tail(out, logTail))
		}
		switch status, stapled := parseStapled(out); {
		case stapled && status == "":
			t.Fatalf("got a stapled response from %s without a certificate status:\n%s", addr, tail(out, logTail))
		case stapled:
			return status
		}
		if time.Now().After(deadline) {
			t.Fatalf("got no stapled OCSP response from %s within %v:\n%s", addr, wait, tail(out, logTail))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// parseStapled reads s_client's output: the certificate status in the
// stapled response, if any, and whether a response was stapled at all.
func parseStapled(out string) (status string, stapled bool) {
	if !strings.Contains(out, "OCSP response:") || strings.Contains(out, "OCSP response: no response sent") {
		return "", false
	}
	if m := certStatusLine.FindStringSubmatch(out); m != nil {
		return m[1], true
	}
	return "", true
}

// NginxBin finds nginx (Debian keeps it in /usr/sbin, often off a user's
// PATH). Without it the test fails when strict (CI, where scripts/deps.sh
// installed it), else it skips.
func NginxBin(t testing.TB, strict bool) string {
	t.Helper()
	if p, err := exec.LookPath("nginx"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err == nil {
		return "/usr/sbin/nginx"
	}
	if strict {
		t.Fatal("nginx is missing; scripts/deps.sh installs it")
	}
	t.Skip("skipping: nginx is missing (run scripts/deps.sh as root to install it)")
	return ""
}

// NginxMainConf is an nginx main configuration that keeps its pid file,
// error log and temp paths (under dir/tmp, which the caller makes) in dir,
// so that nginx runs without root and leaves nothing behind; its http
// block includes include.
func NginxMainConf(dir, include string) string {
	return fmt.Sprintf(`pid %[1]s/nginx.pid;
error_log %[1]s/error.log notice;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path %[1]s/tmp/body;
	proxy_temp_path %[1]s/tmp/proxy;
	fastcgi_temp_path %[1]s/tmp/fastcgi;
	uwsgi_temp_path %[1]s/tmp/uwsgi;
	scgi_temp_path %[1]s/tmp/scgi;
	include %[2]s;
}
`, dir, include)
}
