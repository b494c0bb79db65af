package ca

import (
	"context"
	"crypto"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestServerCertificateReuse(t *testing.T) {
	now := time.Now()
	c, dir := loadCopy(t, Config{Clock: func() time.Time { return now }})
	ctx := context.Background()
	names := []string{"localhost", "127.0.0.1"}
	first, err := c.ServerCertificate(ctx, names)
	if err != nil {
		t.Fatalf("ServerCertificate: %v", err)
	}
	stored := snapshot(t, filepath.Join(dir, "tls"))
	life := first.Leaf.NotAfter.Sub(first.Leaf.NotBefore)
	tests := []struct {
		name      string
		names     []string
		at        time.Time
		damage    func(t *testing.T)
		wantReuse bool
	}{
		{"same names", names, now, nil, true},
		{"same names, other order and case", []string{"127.0.0.1", "LOCALHOST", "localhost"}, now, nil, true},
		{"before two thirds of its life", names, first.Leaf.NotBefore.Add(life*2/3 - time.Minute), nil, true},
		{"past two thirds of its life", names, first.Leaf.NotBefore.Add(life*2/3 + time.Minute), nil, false},
		{"a name added", []string{"localhost", "127.0.0.1", "::1"}, now, nil, false},
		{"key file replaced", names, now, func(t *testing.T) {
			writeOver(t, filepath.Join(dir, "tls", "key.pem"), pemKey(t, ecKey(t, elliptic.P256())))
		}, false},
		{"cert file missing", names, now, func(t *testing.T) {
			if err := os.Remove(filepath.Join(dir, "tls", "cert.pem")); err != nil {
				t.Fatal(err)
			}
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for name, data := range stored { // start each case from the first certificate
				writeOver(t, filepath.Join(dir, "tls", name), []byte(data))
			}
			if tt.damage != nil {
				tt.damage(t)
			}
			at := tt.at
			c.cfg.Clock = func() time.Time { return at }
			got, err := c.ServerCertificate(ctx, tt.names)
			if err != nil {
				t.Fatalf("ServerCertificate: %v", err)
			}
			if reused := got.Leaf.SerialNumber.Cmp(first.Leaf.SerialNumber) == 0; reused != tt.wantReuse {
				t.Errorf("reused: got %v, want %v", reused, tt.wantReuse)
			}
			if want, _ := normalizeNames(tt.names); !slices.Equal(leafNames(got.Leaf), want) {
				t.Errorf("names: got %v, want %v", leafNames(got.Leaf), want)
			}
			certPEM, _ := os.ReadFile(filepath.Join(dir, "tls", "cert.pem"))
			keyPEM, _ := os.ReadFile(filepath.Join(dir, "tls", "key.pem"))
			pair, err := tls.X509KeyPair(certPEM, keyPEM)
			if err != nil || pair.Leaf.SerialNumber.Cmp(got.Leaf.SerialNumber) != 0 {
				t.Errorf("stored pair is not the returned one (err %v)", err)
			}
		})
	}
}

func TestServerCertificateFiles(t *testing.T) {
	c, dir := loadCopy(t, Config{})
	cert, err := c.ServerCertificate(context.Background(), []string{"localhost"})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]os.FileMode{"tls": 0o700 | os.ModeDir, "tls/key.pem": 0o600, "tls/cert.pem": 0o644} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil || info.Mode() != want {
			t.Errorf("%s: got mode %v (err %v), want %v", name, info.Mode(), err, want)
		}
	}
	e1, _ := c.IssuerCertificate(idIntECDSA)
	if len(cert.Certificate) != 2 || string(cert.Certificate[1]) != string(e1.Raw) {
		t.Errorf("chain: got %d certificates, want [leaf, e1]", len(cert.Certificate))
	}
	if _, ok := cert.PrivateKey.(crypto.Signer); !ok {
		t.Errorf("private key of type %T", cert.PrivateKey)
	}
	if _, err := c.ServerCertificate(context.Background(), nil); err == nil {
		t.Errorf("ServerCertificate with no names: got no error")
	}
}

// TestServerCertificateHandshake serves the certificate on a real loopback
// listener and connects trusting only roots.pem.
func TestServerCertificateHandshake(t *testing.T) {
	c, _ := loadCopy(t, Config{})
	cert, err := c.ServerCertificate(context.Background(), []string{"localhost", "127.0.0.1", "::1"})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			_ = conn.(*tls.Conn).Handshake()
			conn.Close()
		}
	}()
	rootsPEM, err := os.ReadFile(c.RootsPEMPath())
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(rootsPEM)
	for _, serverName := range []string{"localhost", "127.0.0.1"} {
		t.Run(serverName, func(t *testing.T) {
			conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", ln.Addr().String(),
				&tls.Config{RootCAs: pool, ServerName: serverName})
			if err != nil {
				t.Fatalf("handshake as %s: %v", serverName, err)
			}
			conn.Close()
		})
	}
}
