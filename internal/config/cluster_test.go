package config

import (
	"testing"
	"time"
)

func TestCluster(t *testing.T) {
	tests := []struct {
		name       string
		yaml       string
		wantErr    string
		wantNonces string
		wantLease  time.Duration
	}{
		{name: "defaults: one instance", yaml: "", wantNonces: "memory", wantLease: 15 * time.Second},
		{name: "enabled shares nonces", yaml: "cluster:\n  enabled: true\n", wantNonces: "shared", wantLease: 15 * time.Second},
		{name: "enabled with memory nonces", yaml: "cluster:\n  enabled: true\n  nonces: memory\n", wantNonces: "memory", wantLease: 15 * time.Second},
		{name: "lease set", yaml: "cluster:\n  enabled: true\n  lease: 30s\n", wantNonces: "shared", wantLease: 30 * time.Second},
		{name: "bad nonce mode", yaml: "cluster:\n  nonces: redis\n", wantErr: "cluster.nonces"},
		{name: "lease too short", yaml: "cluster:\n  lease: 1s\n", wantErr: "cluster.lease"},
		{name: "negative nonce lifetime", yaml: "cluster:\n  nonce-lifetime: -1m\n", wantErr: "cluster.nonce-lifetime"},
		{name: "instance id with a space", yaml: "cluster:\n  instance-id: a b\n", wantErr: "cluster.instance-id"},
		{name: "public url without issuer url", yaml: "public-url: https://acme.example\ncluster:\n  enabled: true\n", wantErr: "issuer-url"},
		{name: "public and issuer urls", yaml: "public-url: https://acme.example\nissuer-url: http://acme.example\ncluster:\n  enabled: true\n", wantNonces: "shared", wantLease: 15 * time.Second},
		{name: "proxy protocol sources", yaml: "cluster:\n  proxy-protocol-from: [10.0.0.0/8, 192.0.2.7, \"2001:db8::/32\"]\n", wantNonces: "memory", wantLease: 15 * time.Second},
		{name: "bad proxy protocol source", yaml: "cluster:\n  proxy-protocol-from: [balancer.example]\n", wantErr: "cluster.proxy-protocol-from"},
		{name: "unknown cluster key", yaml: "cluster:\n  enable: true\n", wantErr: "enable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, ok := decodeCase(t, tt.yaml, tt.wantErr)
			if !ok {
				return
			}
			if got := cfg.Cluster.NonceMode(); got != tt.wantNonces {
				t.Errorf("NonceMode: got %q, want %q", got, tt.wantNonces)
			}
			if got := cfg.Cluster.LeaseTTL(); got != tt.wantLease {
				t.Errorf("LeaseTTL: got %v, want %v", got, tt.wantLease)
			}
		})
	}
}
