package harness

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"testing"
	"time"
)

// WaitServedCert connects to addr with TLS for serverName until the
// server presents a chain that verifies against rootsFile alone, and
// returns that chain, leaf first. A web server that obtains its
// certificate in the background (Caddy) fails the handshake until then.
func WaitServedCert(ctx context.Context, t testing.TB, addr, serverName, rootsFile string, timeout time.Duration) []*x509.Certificate {
	t.Helper()
	pemBytes, err := os.ReadFile(rootsFile)
	if err != nil {
		t.Fatalf("reading roots: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("no certificates in %s", rootsFile)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		chain, err := servedChain(ctx, addr, serverName, pool)
		if err == nil {
			return chain
		}
		last = err
		select {
		case <-ctx.Done():
			t.Fatalf("got no verified certificate for %s from %s within %v: %v", serverName, addr, timeout, last)
			return nil
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func servedChain(ctx context.Context, addr, serverName string, pool *x509.CertPool) ([]*x509.Certificate, error) {
	d := &tls.Dialer{
		NetDialer: &net.Dialer{Timeout: 2 * time.Second},
		Config:    &tls.Config{ServerName: serverName, RootCAs: pool, MinVersion: tls.VersionTLS12},
	}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("handshake: %w", err)
	}
	defer conn.Close()
	return conn.(*tls.Conn).ConnectionState().PeerCertificates, nil
}
