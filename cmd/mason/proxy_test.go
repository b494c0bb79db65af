package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"testing"
)

// quarryProxy relays to Quarry over TLS, keeping the client's Host so that
// the URLs Quarry builds point back at the proxy. A test's intercept sees
// each request first and may answer it itself.
type quarryProxy struct {
	srv     *httptest.Server
	bundle  string // Quarry's roots plus the proxy's certificate, for --ca-bundle
	rp      *httputil.ReverseProxy
	dirPath string
}

func startProxy(t *testing.T, q *quarry, intercept func(p *quarryProxy, w http.ResponseWriter, r *http.Request) bool) *quarryProxy {
	t.Helper()
	target, _ := url.Parse(q.srv.DirectoryURL())
	rootsPEM, err := os.ReadFile(q.roots)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(rootsPEM)
	p := &quarryProxy{dirPath: target.Path}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(&url.URL{Scheme: "https", Host: target.Host})
			r.Out.Host = r.In.Host
		},
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}},
	}
	p.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if intercept != nil && intercept(p, w, r) {
			return
		}
		p.rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	p.bundle = filepath.Join(t.TempDir(), "bundle.pem")
	bundle := append(rootsPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.srv.Certificate().Raw})...)
	if err := os.WriteFile(p.bundle, bundle, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *quarryProxy) dirURL() string { return p.srv.URL + p.dirPath }

// args points a mason command at the proxy.
func (p *quarryProxy) args() []string {
	return []string{"--server", p.dirURL(), "--ca-bundle", p.bundle}
}
