package harness

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

func TestWebroot(t *testing.T) {
	wr := &Webroot{Dir: t.TempDir()}
	if err := os.WriteFile(filepath.Join(wr.Dir, "tok_en-1"), []byte("tok_en-1.thumb"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(wr.Dir), "secret"), []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "fallback %s %s", r.Host, r.URL.Path)
	}))
	defer backend.Close()

	tests := []struct {
		name       string
		path       string
		fallback   bool
		wantStatus int
		wantBody   string
	}{
		{name: "token file", path: "/.well-known/acme-challenge/tok_en-1", wantStatus: 200, wantBody: "tok_en-1.thumb"},
		{name: "unknown token", path: "/.well-known/acme-challenge/other", wantStatus: 404},
		{name: "escape refused", path: "/.well-known/acme-challenge/..%2Fsecret", wantStatus: 404},
		{name: "unknown token to fallback", path: "/.well-known/acme-challenge/other", fallback: true,
			wantStatus: 200, wantBody: "fallback a.quarry.test /.well-known/acme-challenge/other"},
		{name: "token file before fallback", path: "/.well-known/acme-challenge/tok_en-1", fallback: true,
			wantStatus: 200, wantBody: "tok_en-1.thumb"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wr.fallback = nil
			if tc.fallback {
				wr.SetFallback(backend.Listener.Addr().(*net.TCPAddr).Port)
			}
			req := httptest.NewRequest(http.MethodGet, "http://a.quarry.test"+tc.path, nil)
			rec := httptest.NewRecorder()
			wr.ServeHTTP(rec, req)
			body, _ := io.ReadAll(rec.Result().Body)
			if rec.Code != tc.wantStatus {
				t.Errorf("got status %d, want %d", rec.Code, tc.wantStatus)
			}
			if tc.wantBody != "" && string(body) != tc.wantBody {
				t.Errorf("got body %q, want %q", body, tc.wantBody)
			}
		})
	}
}
