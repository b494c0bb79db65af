package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/quarry-ca/quarry/internal/varemote/varemotetest"
)

// TestVAUsage: quarry va refuses to start without its name and mutual-TLS
// files, or with files it cannot use, in one sentence and exit code 2.
func TestVAUsage(t *testing.T) {
	pki := varemotetest.NewPKI(t)
	tlsArgs := []string{"--tls-cert", pki.ServerCert, "--tls-key", pki.ServerKey, "--client-ca", pki.CA}
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no name", append([]string{"va"}, tlsArgs...), "--perspective, --tls-cert, --tls-key and --client-ca are required"},
		{"no client CA", []string{"va", "--perspective", "a", "--tls-cert", pki.ServerCert, "--tls-key", pki.ServerKey}, "are required"},
		{"client CA not PEM", []string{"va", "--perspective", "a", "--tls-cert", pki.ServerCert, "--tls-key", pki.ServerKey, "--client-ca", pki.ServerKey}, "holds no PEM certificates"},
		{"key does not match", []string{"va", "--perspective", "a", "--tls-cert", pki.ServerCert, "--tls-key", pki.ClientKey, "--client-ca", pki.CA}, "loading the perspective's certificate"},
		{"zero timeout", append([]string{"va", "--perspective", "a", "--timeout", "0s"}, tlsArgs...), "--timeout and --max-in-flight must be positive"},
		{"zero in flight", append([]string{"va", "--perspective", "a", "--max-in-flight", "0"}, tlsArgs...), "--timeout and --max-in-flight must be positive"},
		{"stray argument", append([]string{"va", "--perspective", "a", "now"}, tlsArgs...), "unexpected arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(tt.args, &out, &errOut)
			var ue usageError
			if !errors.As(err, &ue) {
				t.Fatalf("got error %v, want a usage error", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("got %q, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}
