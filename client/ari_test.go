package client

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// rfc9773Example is the example certificate of RFC 9773 Appendix A, whose
// identifier the RFC gives as aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE.
const rfc9773Example = `-----BEGIN CERTIFICATE-----
MIIBQzCB66ADAgECAgUAh2VDITAKBggqhkjOPQQDAjAVMRMwEQYDVQQDEwpFeGFt
cGxlIENBMCIYDzAwMDEwMTAxMDAwMDAwWhgPMDAwMTAxMDEwMDAwMDBaMBYxFDAS
BgNVBAMTC2V4YW1wbGUuY29tMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEeBZu
7cbpAYNXZLbbh8rNIzuOoqOOtmxA1v7cRm//AwyMwWxyHz4zfwmBhcSrf47NUAFf
qzLQ2PPQxdTXREYEnKMjMCEwHwYDVR0jBBgwFoAUaYhba4dGQEHhs3uEe6CuLN4B
yNQwCgYIKoZIzj0EAwIDRwAwRAIge09+S5TZAlw5tgtiVvuERV6cT4mfutXIlwTb
+FYN/8oCIClDsqBklhB9KAelFiYt9+6FDj3z4KGVelYM5MdsO3pK
-----END CERTIFICATE-----
`

func TestARICertID(t *testing.T) {
	block, _ := pem.Decode([]byte(rfc9773Example))
	example, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("parsing the RFC 9773 example: %v", err)
	}
	aki := []byte{0x01, 0x02, 0xfe}
	tests := []struct {
		name    string
		cert    *x509.Certificate
		want    string
		wantErr bool
	}{
		{name: "RFC 9773 appendix A", cert: example, want: "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"},
		{name: "serial without high bit", cert: &x509.Certificate{AuthorityKeyId: aki, SerialNumber: big.NewInt(0x7f01)}, want: "AQL-.fwE"},
		{name: "serial with high bit keeps its zero byte", cert: &x509.Certificate{AuthorityKeyId: aki, SerialNumber: big.NewInt(0x80)}, want: "AQL-.AIA"},
		{name: "serial zero", cert: &x509.Certificate{AuthorityKeyId: aki, SerialNumber: big.NewInt(0)}, want: "AQL-.AA"},
		{name: "no authority key identifier", cert: &x509.Certificate{SerialNumber: big.NewInt(1)}, wantErr: true},
		{name: "no serial", cert: &x509.Certificate{AuthorityKeyId: aki}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ARICertID(tt.cert)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("ARICertID error: got %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr && !errors.Is(err, core.ErrMalformed) {
				t.Errorf("error kind: got %v, want %s", err, core.ErrMalformed)
			}
			if got != tt.want {
				t.Errorf("ARICertID: got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRenewalInfo(t *testing.T) {
	block, _ := pem.Decode([]byte(rfc9773Example))
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2025, 1, 2, 4, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		retryAfter string
		body       string
		status     int
		wantRA     time.Duration
		wantErr    bool
	}{
		{
			name:       "window and Retry-After",
			retryAfter: "21600",
			body:       `{"suggestedWindow":{"start":"2025-01-02T04:00:00Z","end":"2025-01-03T04:00:00Z"},"explanationURL":"https://ca.example/ari"}`,
			status:     200,
			wantRA:     6 * time.Hour,
		},
		{
			name:   "no Retry-After",
			body:   `{"suggestedWindow":{"start":"2025-01-02T04:00:00Z","end":"2025-01-03T04:00:00Z"}}`,
			status: 200,
		},
		{
			name:    "window ends before it starts",
			body:    `{"suggestedWindow":{"start":"2025-01-03T04:00:00Z","end":"2025-01-02T04:00:00Z"}}`,
			status:  200,
			wantErr: true,
		},
		{name: "unknown certificate", status: 404, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeACME(t)
			f.handle("GET /renewal-info/aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE", func(w http.ResponseWriter, r *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			})
			info, ra, err := f.client(nil).RenewalInfo(context.Background(), cert)
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Fatalf("RenewalInfo error: got %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if !info.SuggestedWindow.Start.Equal(start) {
				t.Errorf("window start: got %v, want %v", info.SuggestedWindow.Start, start)
			}
			if ra != tt.wantRA {
				t.Errorf("Retry-After: got %v, want %v", ra, tt.wantRA)
			}
		})
	}
}

func TestRenewalInfoNotOffered(t *testing.T) {
	f := newFakeACME(t)
	f.handle("GET /dir2", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, acme.Directory{NewNonce: f.url("/nonce"), NewAccount: f.url("/a"), NewOrder: f.url("/o")})
	})
	c, err := New(Options{DirectoryURL: f.url("/dir2"), Key: newKey(t), HTTPClient: f.srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.RenewalInfo(context.Background(), &x509.Certificate{AuthorityKeyId: []byte{1}, SerialNumber: big.NewInt(1)})
	if !errors.Is(err, core.ErrNotFound) {
		t.Errorf("RenewalInfo without renewalInfo: got %v, want %s", err, core.ErrNotFound)
	}
}
