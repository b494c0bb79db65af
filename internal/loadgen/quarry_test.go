package loadgen

import (
	"context"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/internal/config"
	"github.com/quarry-ca/quarry/internal/server"
)

// target is an in-process Quarry (dev preset) whose VA is pointed at a set
// of acmeload responders.
type target struct {
	dirURL string
	roots  *x509.CertPool
	resp   *Responders
}

func startTarget(t *testing.T) *target {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	resp, err := StartResponders(ctx, ResponderConfig{
		HTTPAddr: "127.0.0.1:0", TLSAddr: "127.0.0.1:0", DNSAddr: "127.0.0.1:0",
	})
	if err != nil {
		t.Fatalf("starting responders: %v", err)
	}
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Listen, cfg.HTTPListen = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Preset = config.PresetDev
	cfg.VA.HTTPPort = portOf(t, resp.HTTPAddr())
	cfg.VA.TLSPort = portOf(t, resp.TLSAddr())
	cfg.VA.DNSResolver = resp.DNSAddr()
	cfg.VA.Timeout = config.Duration(5 * time.Second)
	srv, err := server.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("starting quarry: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("quarry shut down with %v", err)
		}
		if err := resp.Close(); err != nil {
			t.Errorf("closing responders: %v", err)
		}
	})
	pem, err := os.ReadFile(srv.RootsPath())
	if err != nil {
		t.Fatalf("reading roots: %v", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		t.Fatal("roots.pem holds no certificates")
	}
	return &target{dirURL: srv.DirectoryURL(), roots: roots, resp: resp}
}

func portOf(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("port of %q: %v", addr, err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("port of %q: %v", addr, err)
	}
	return n
}
