package varemotetest

import (
	"context"
	"net"
	"testing"

	"github.com/quarry-ca/quarry/internal/va"
	"github.com/quarry-ca/quarry/internal/varemote"
)

// StartPerspective serves a remote perspective named name in-process, on
// a loopback port with pki's server certificate, validating with vaCfg,
// until the test ends; it returns the perspective's URL. The test fails if
// the perspective stops with an error.
func StartPerspective(t testing.TB, pki PKI, name string, vaCfg va.Config) string {
	t.Helper()
	tlsCfg, err := varemote.ServerTLS(pki.ServerCert, pki.ServerKey, pki.CA)
	if err != nil {
		t.Fatalf("ServerTLS: %v", err)
	}
	s, err := varemote.NewServer(varemote.ServerConfig{Perspective: name, TLS: tlsCfg, VA: vaCfg}, nil)
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	// Not the test's context: the perspective must outlive every subtest
	// and stop only in the cleanup, where its error is checked.
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("perspective %s stopped with %v", name, err)
		}
	})
	return "https://" + ln.Addr().String()
}
