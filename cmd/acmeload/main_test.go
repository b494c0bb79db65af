package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunExitCodes(t *testing.T) {
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "broken", http.StatusInternalServerError)
	}))
	defer broken.Close()
	csvPath := filepath.Join(t.TempDir(), "ts.csv")
	local := []string{"--http-listen", "127.0.0.1:0", "--dns-listen", "127.0.0.1:0"}
	tests := []struct {
		name       string
		args       []string
		want       int
		wantStdout string
		wantStderr string
	}{
		{name: "help", args: []string{"--help"}, want: exitOK, wantStderr: "only loads servers on loopback"},
		{name: "no directory", args: []string{"--flows", "1"}, want: exitUsage, wantStderr: "directory URL is required"},
		{name: "public target refused", args: []string{"--directory", "https://192.0.2.1/directory", "--flows", "1"}, want: exitUsage, wantStderr: "only targets loopback"},
		{name: "unknown challenge", args: []string{"--directory", "https://127.0.0.1/d", "--challenge", "tls-sni-01"}, want: exitUsage, wantStderr: "unknown challenge type"},
		{name: "negative rate", args: []string{"--directory", "https://127.0.0.1/d", "--rate", "-2"}, want: exitUsage, wantStderr: "rate -2 is negative"},
		{name: "rate reported", args: append([]string{"--directory", broken.URL + "/directory", "--flows", "1", "--rate", "50", "--json"}, local...),
			want: exitFailures, wantStdout: `"rate_per_second": 50`},
		{name: "stray argument", args: []string{"--directory", "https://127.0.0.1/d", "extra"}, want: exitUsage, wantStderr: "unexpected arguments"},
		{name: "bad answer IP", args: []string{"--directory", "https://127.0.0.1/d", "--answer-ip", "x"}, want: exitUsage, wantStderr: "not an IP address"},
		{name: "missing roots file", args: []string{"--directory", "https://127.0.0.1/d", "--roots", "/nonexistent.pem"}, want: exitUsage, wantStderr: "reading --roots"},
		{name: "failed flows", args: append([]string{"--directory", broken.URL + "/directory", "--flows", "2", "--concurrency", "1", "--csv", csvPath}, local...),
			want: exitFailures, wantStdout: "http 500 without a problem document"},
		{name: "failed flows as JSON", args: append([]string{"--directory", broken.URL + "/directory", "--flows", "1", "--json"}, local...),
			want: exitFailures, wantStdout: `"flows_failed": 1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := run(context.Background(), tt.args, &stdout, &stderr); got != tt.want {
				t.Errorf("got exit %d, want %d; stderr:\n%s", got, tt.want, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantStdout) {
				t.Errorf("got stdout\n%s\nwant it to contain %q", stdout.String(), tt.wantStdout)
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("got stderr\n%s\nwant it to contain %q", stderr.String(), tt.wantStderr)
			}
		})
	}
	data, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatalf("reading the CSV: %v", err)
	}
	if !strings.HasPrefix(string(data), "second,completed,errors,p50_ms\n0,0,2,") {
		t.Errorf("got CSV\n%s\nwant a header and one second with 2 errors", data)
	}
}
