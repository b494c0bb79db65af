package harness

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// challengePrefix is where http-01 responses live (RFC 8555 section 8.3).
const challengePrefix = "/.well-known/acme-challenge/"

// Webroot is the web server several webroot-style ACME clients share: it
// serves http-01 responses from the files clients write into Dir, and
// passes requests for tokens it has no file for to a fallback server (a
// client such as Caddy that answers challenges itself), so one validation
// port serves every client of a suite at once.
type Webroot struct {
	// Dir is the .well-known/acme-challenge directory: a token's file is
	// Dir/<token>.
	Dir string

	mu       sync.Mutex
	fallback *httputil.ReverseProxy
}

// StartWebroot serves a fresh, empty challenge directory over plain HTTP on
// 127.0.0.1:port until the test ends.
func StartWebroot(t testing.TB, port int) *Webroot {
	t.Helper()
	wr := &Webroot{Dir: t.TempDir()}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		t.Fatalf("webroot: listening on port %d: %v", port, err)
	}
	srv := &http.Server{Handler: wr, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	})
	return wr
}

// SetFallback sends requests the directory cannot answer to
// http://127.0.0.1:port, Host header unchanged.
func (wr *Webroot) SetFallback(port int) {
	target := &url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	wr.mu.Lock()
	defer wr.mu.Unlock()
	wr.fallback = httputil.NewSingleHostReverseProxy(target)
}

// ServeHTTP answers GET /.well-known/acme-challenge/<token> from Dir.
func (wr *Webroot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if token, ok := strings.CutPrefix(r.URL.Path, challengePrefix); ok && validToken(token) {
		body, err := os.ReadFile(filepath.Join(wr.Dir, token))
		if err == nil {
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = w.Write(body)
			return
		}
		if !errors.Is(err, os.ErrNotExist) {
			http.Error(w, "cannot read the token's file", http.StatusInternalServerError)
			return
		}
	}
	wr.mu.Lock()
	fb := wr.fallback
	wr.mu.Unlock()
	if fb == nil {
		http.NotFound(w, r)
		return
	}
	fb.ServeHTTP(w, r)
}

// validToken accepts only base64url text, so a request path never names a
// file outside Dir.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}
