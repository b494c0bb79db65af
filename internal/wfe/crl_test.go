package wfe_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/storage/sqlite"
	"github.com/quarry-ca/quarry/internal/wfe"
)

func TestCRLHandler(t *testing.T) {
	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "quarry.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	crls := []*core.CRL{
		{IssuerID: "e1", Shard: 3, Number: 7, DER: []byte("der-e1-3"), ThisUpdate: now.Add(-time.Hour), NextUpdate: now.Add(7 * 24 * time.Hour)},
		{IssuerID: "e1", Shard: 12, Number: 2, DER: []byte("der-e1-12"), ThisUpdate: now.Add(-time.Hour), NextUpdate: now.Add(10 * time.Minute)},
		{IssuerID: "r1", Shard: 0, Number: 9, DER: []byte("stale"), ThisUpdate: now.Add(-48 * time.Hour), NextUpdate: now.Add(-time.Hour)},
	}
	for _, c := range crls {
		if err := store.PutCRL(t.Context(), c); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(wfe.CRLHandler(store, wfe.CRLConfig{MaxAge: time.Hour, Clock: func() time.Time { return now }}))
	defer srv.Close()

	tests := []struct {
		name       string
		path       string
		header     http.Header
		wantStatus int
		wantBody   string
		wantCache  string
		wantETag   string
	}{
		{"shard", "/crl/e1/3.crl", nil, 200, "der-e1-3", "public, max-age=3600", `"7-1893549845"`},
		{"max-age bounded by nextUpdate", "/crl/e1/12.crl", nil, 200, "der-e1-12", "public, max-age=600", `"2-1893549845"`},
		{"past nextUpdate", "/crl/r1/0.crl", nil, 200, "stale", "public, max-age=0", ""},
		{"if-none-match", "/crl/e1/3.crl", http.Header{"If-None-Match": {`"7-1893549845"`}}, 304, "", "", ""},
		{"if-modified-since", "/crl/e1/3.crl", http.Header{"If-Modified-Since": {now.Format(http.TimeFormat)}}, 304, "", "", ""},
		{"unknown shard", "/crl/e1/4.crl", nil, 404, "", "", ""},
		{"unknown issuer", "/crl/x9/3.crl", nil, 404, "", "", ""},
		{"leading zero", "/crl/e1/03.crl", nil, 404, "", "", ""},
		{"negative", "/crl/e1/-3.crl", nil, 404, "", "", ""},
		{"no suffix", "/crl/e1/3", nil, 404, "", "", ""},
		{"bad issuer id", "/crl/e1.x/3.crl", nil, 404, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+tt.path, nil)
			for k, v := range tt.header {
				req.Header[k] = v
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("GET %s: got status %d, want %d", tt.path, resp.StatusCode, tt.wantStatus)
			}
			if tt.wantStatus != 200 {
				return
			}
			if !bytes.Equal(body, []byte(tt.wantBody)) {
				t.Errorf("body: got %q, want %q", body, tt.wantBody)
			}
			if got := resp.Header.Get("Content-Type"); got != "application/pkix-crl" {
				t.Errorf("Content-Type: got %q, want application/pkix-crl", got)
			}
			if got := resp.Header.Get("Cache-Control"); got != tt.wantCache {
				t.Errorf("Cache-Control: got %q, want %q", got, tt.wantCache)
			}
			if got := resp.Header.Get("ETag"); tt.wantETag != "" && got != tt.wantETag {
				t.Errorf("ETag: got %q, want %q", got, tt.wantETag)
			}
			if got := resp.Header.Get("Last-Modified"); got != now.Add(-time.Hour).Format(http.TimeFormat) && tt.name != "past nextUpdate" {
				t.Errorf("Last-Modified: got %q, want thisUpdate", got)
			}
		})
	}
}
