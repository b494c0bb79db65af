package wfe_test

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	xocsp "golang.org/x/crypto/ocsp"

	"github.com/quarry-ca/quarry/internal/ocsp"
	"github.com/quarry-ca/quarry/internal/ocsp/ocsptest"
	"github.com/quarry-ca/quarry/internal/wfe"
)

type ocspEnv struct {
	srv             *httptest.Server
	store           *ocsptest.Store
	issuer          *x509.Certificate
	good, revoked   *x509.Certificate
	revokedAt, now  time.Time
	otherIssuer     *x509.Certificate
	goodReq, badReq []byte
}

func newOCSPEnv(t *testing.T) *ocspEnv {
	t.Helper()
	c := ocsptest.NewCA(t, false)
	// On a minute boundary, where the responder puts thisUpdate.
	e := &ocspEnv{store: ocsptest.NewStore(), now: time.Now().UTC().Truncate(time.Minute)}
	e.revokedAt = e.now.Add(-time.Hour)
	e.issuer, _ = c.IssuerCertificate(c.IssuerIDs()[0])
	_, e.good = ocsptest.Issue(t, c, e.store)
	revoked, leaf := ocsptest.Issue(t, c, e.store)
	e.revoked = leaf
	e.store.Revoke(revoked.Serial, xocsp.KeyCompromise, e.revokedAt)
	other := ocsptest.NewCA(t, false)
	e.otherIssuer, _ = other.IssuerCertificate(other.IssuerIDs()[0])
	resp, err := ocsp.New(ocsp.Config{}, ocsp.Deps{Store: e.store, Signer: c, Clock: func() time.Time { return e.now }})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(wfe.OCSPHandler(resp, wfe.OCSPConfig{MaxAge: time.Hour, Clock: func() time.Time { return e.now }}))
	t.Cleanup(e.srv.Close)
	e.goodReq = ocsptest.Request(t, e.good, e.issuer, crypto.SHA1)
	e.badReq = ocsptest.Request(t, e.revoked, e.issuer, crypto.SHA256)
	return e
}

func (e *ocspEnv) do(t *testing.T, method, path, ctype string, body []byte, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, out
}

func getPath(der []byte) string {
	return "/ocsp/" + url.PathEscape(base64.StdEncoding.EncodeToString(der))
}

func TestOCSPHandlerAnswers(t *testing.T) {
	e := newOCSPEnv(t)
	raw := base64.StdEncoding.EncodeToString(e.goodReq)
	tests := []struct {
		name       string
		method     string
		path       string
		body       []byte
		leaf       *x509.Certificate
		wantStatus int
	}{
		{"GET good, escaped", "GET", getPath(e.goodReq), nil, e.good, xocsp.Good},
		{"GET good, unescaped", "GET", "/ocsp/" + raw, nil, e.good, xocsp.Good},
		{"GET good, unpadded", "GET", "/ocsp/" + url.PathEscape(strings.TrimRight(raw, "=")), nil, e.good, xocsp.Good},
		{"GET revoked", "GET", getPath(e.badReq), nil, e.revoked, xocsp.Revoked},
		{"POST good", "POST", "/ocsp", e.goodReq, e.good, xocsp.Good},
		{"POST revoked", "POST", "/ocsp", e.badReq, e.revoked, xocsp.Revoked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.do(t, tt.method, tt.path, "application/ocsp-request", tt.body, nil)
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/ocsp-response" {
				t.Fatalf("got %d %q, want 200 application/ocsp-response", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			got, err := xocsp.ParseResponseForCert(body, tt.leaf, e.issuer)
			if err != nil {
				t.Fatalf("ParseResponseForCert: %v", err)
			}
			if got.Status != tt.wantStatus || got.SerialNumber.Cmp(tt.leaf.SerialNumber) != 0 {
				t.Errorf("got status %d serial %x, want %d %x", got.Status, got.SerialNumber, tt.wantStatus, tt.leaf.SerialNumber)
			}
			if tt.wantStatus == xocsp.Revoked && (!got.RevokedAt.Equal(e.revokedAt) || got.RevocationReason != xocsp.KeyCompromise) {
				t.Errorf("got revoked at %v reason %d, want %v keyCompromise", got.RevokedAt, got.RevocationReason, e.revokedAt)
			}
			if !got.ThisUpdate.Equal(e.now) || !got.NextUpdate.Equal(e.now.Add(ocsp.DefaultValidity)) {
				t.Errorf("got %v..%v, want %v..%v", got.ThisUpdate, got.NextUpdate, e.now, e.now.Add(ocsp.DefaultValidity))
			}
			h := resp.Header
			wantHeaders := map[string]string{
				"Cache-Control": "max-age=3600, public, no-transform, must-revalidate",
				"Last-Modified": e.now.Format(http.TimeFormat),
				"Expires":       e.now.Add(ocsp.DefaultValidity).Format(http.TimeFormat),
			}
			for k, want := range wantHeaders {
				if h.Get(k) != want {
					t.Errorf("%s: got %q, want %q", k, h.Get(k), want)
				}
			}
			if etag := h.Get("ETag"); len(etag) != 34 || etag[0] != '"' {
				t.Errorf("ETag: got %q, want a quoted 32-hex-digit tag", etag)
			}
		})
	}
}

func TestOCSPHandlerConditional(t *testing.T) {
	e := newOCSPEnv(t)
	first, _ := e.do(t, "GET", getPath(e.goodReq), "", nil, nil)
	etag := first.Header.Get("ETag")
	tests := []struct {
		name   string
		method string
		header http.Header
		want   int
	}{
		{"matching ETag", "GET", http.Header{"If-None-Match": {etag}}, 304},
		{"ETag among others", "GET", http.Header{"If-None-Match": {`"x", ` + etag}}, 304},
		{"weak ETag", "GET", http.Header{"If-None-Match": {"W/" + etag}}, 304},
		{"other ETag", "GET", http.Header{"If-None-Match": {`"0123"`}}, 200},
		{"other ETag beats a fresh date", "GET", http.Header{"If-None-Match": {`"0123"`}, "If-Modified-Since": {e.now.Format(http.TimeFormat)}}, 200},
		{"modified since: at thisUpdate", "GET", http.Header{"If-Modified-Since": {e.now.Format(http.TimeFormat)}}, 304},
		{"modified since: before thisUpdate", "GET", http.Header{"If-Modified-Since": {e.now.Add(-time.Second).Format(http.TimeFormat)}}, 200},
		{"POST is never 304", "POST", http.Header{"If-None-Match": {etag}}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, body := getPath(e.goodReq), []byte(nil)
			if tt.method == "POST" {
				path, body = "/ocsp", e.goodReq
			}
			resp, out := e.do(t, tt.method, path, "application/ocsp-request", body, tt.header)
			if resp.StatusCode != tt.want {
				t.Fatalf("got %d, want %d", resp.StatusCode, tt.want)
			}
			if tt.want == 304 && (len(out) != 0 || resp.Header.Get("ETag") != etag || resp.Header.Get("Cache-Control") == "") {
				t.Errorf("304: got %d body bytes, ETag %q, Cache-Control %q; want no body, the same ETag and caching headers", len(out), resp.Header.Get("ETag"), resp.Header.Get("Cache-Control"))
			}
		})
	}
}

func TestOCSPHandlerErrors(t *testing.T) {
	e := newOCSPEnv(t)
	const ct = "application/ocsp-request"
	withTrailer := append(append([]byte{}, e.goodReq...), 5, 0)
	tests := []struct {
		name     string
		method   string
		path     string
		ctype    string
		body     []byte
		wantCode int
		wantBody []byte
	}{
		{"GET with nothing", "GET", "/ocsp/", "", nil, 200, xocsp.MalformedRequestErrorResponse},
		{"GET without slash", "GET", "/ocsp", "", nil, 200, xocsp.MalformedRequestErrorResponse},
		{"GET not base64", "GET", "/ocsp/%21%21not*base64", "", nil, 200, xocsp.MalformedRequestErrorResponse},
		{"GET base64 of text", "GET", getPath([]byte("hello responder")), "", nil, 200, xocsp.MalformedRequestErrorResponse},
		{"GET truncated", "GET", getPath(e.goodReq[:len(e.goodReq)-4]), "", nil, 200, xocsp.MalformedRequestErrorResponse},
		{"GET trailing garbage", "GET", getPath(withTrailer), "", nil, 200, xocsp.MalformedRequestErrorResponse},
		{"GET too long", "GET", getPath(bytes.Repeat([]byte{0x30}, 5000)), "", nil, 200, xocsp.MalformedRequestErrorResponse},
		{"GET with a query only", "GET", "/ocsp/?req=abc", "", nil, 200, xocsp.MalformedRequestErrorResponse},
		{"POST wrong type", "POST", "/ocsp", "application/octet-stream", e.goodReq, 200, xocsp.MalformedRequestErrorResponse},
		{"POST no type", "POST", "/ocsp", "", e.goodReq, 200, xocsp.MalformedRequestErrorResponse},
		{"POST bad type syntax", "POST", "/ocsp", "application/ocsp-request; =", e.goodReq, 200, xocsp.MalformedRequestErrorResponse},
		{"POST empty", "POST", "/ocsp", ct, nil, 200, xocsp.MalformedRequestErrorResponse},
		{"POST garbage", "POST", "/ocsp", ct, []byte{0x30, 0x03, 0x02, 0x01}, 200, xocsp.MalformedRequestErrorResponse},
		{"POST oversized", "POST", "/ocsp", ct, bytes.Repeat([]byte{0x30}, 10000), 200, xocsp.MalformedRequestErrorResponse},
		{"POST to a GET path", "POST", getPath(e.goodReq), ct, e.goodReq, 200, xocsp.MalformedRequestErrorResponse},
		{"GET another CA's issuer", "GET", getPath(ocsptest.Request(t, e.good, e.otherIssuer, crypto.SHA1)), "", nil, 200, xocsp.UnauthorizedErrorResponse},
		{"POST another CA's issuer", "POST", "/ocsp", ct, ocsptest.Request(t, e.good, e.otherIssuer, crypto.SHA256), 200, xocsp.UnauthorizedErrorResponse},
		{"PUT", "PUT", "/ocsp", ct, e.goodReq, 405, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := e.do(t, tt.method, tt.path, tt.ctype, tt.body, nil)
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("got HTTP %d, want %d", resp.StatusCode, tt.wantCode)
			}
			if tt.wantBody == nil {
				return
			}
			if !bytes.Equal(body, tt.wantBody) || resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("got body %x Cache-Control %q, want %x and no-store", body, resp.Header.Get("Cache-Control"), tt.wantBody)
			}
			var re xocsp.ResponseError
			if _, err := xocsp.ParseResponse(body, nil); !errors.As(err, &re) {
				t.Errorf("ParseResponse: got %v, want an OCSP error status", err)
			}
		})
	}
}

func TestOCSPHandlerInternalError(t *testing.T) {
	e := newOCSPEnv(t)
	e.store.SetErr(errors.New("database gone"))
	resp, body := e.do(t, "GET", getPath(e.goodReq), "", nil, nil)
	if resp.StatusCode != 500 || !bytes.Equal(body, xocsp.InternalErrorErrorResponse) || strings.Contains(string(body), "database") {
		t.Errorf("got %d %x, want 500 with the internalError OCSP status and no detail", resp.StatusCode, body)
	}
}
