package harness

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// PebbleOptions says how to start Debian's Pebble in the CA's role.
type PebbleOptions struct {
	DNS        string // resolver host:port for validation
	VAHTTPPort int
	VATLSPort  int
}

// StartPebble starts /usr/bin/pebble with a fresh TLS certificate for
// 127.0.0.1 and localhost, and writes a roots file holding that
// certificate's root and Pebble's issuance root.
func StartPebble(ctx context.Context, t testing.TB, opts PebbleOptions) *CA {
	t.Helper()
	dir := t.TempDir()
	certFile, keyFile, tlsRoot := writeServerCert(t, dir)
	listen := net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t)))
	mgmt := net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t)))
	cfg := map[string]any{"pebble": map[string]any{
		"listenAddress":                  listen,
		"managementListenAddress":        mgmt,
		"certificate":                    certFile,
		"privateKey":                     keyFile,
		"httpPort":                       opts.VAHTTPPort,
		"tlsPort":                        opts.VATLSPort,
		"ocspResponderURL":               "",
		"externalAccountBindingRequired": false,
	}}
	cfgFile := filepath.Join(dir, "pebble-config.json")
	writeJSON(t, cfgFile, cfg)
	rootsFile := filepath.Join(dir, "roots.pem")
	writeFile(t, rootsFile, tlsRoot)
	// Pebble sleeps before validating and rejects 5% of nonces unless told
	// not to; both only slow a suite down.
	env := []string{"PEBBLE_VA_NOSLEEP=1", "PEBBLE_WFE_NONCEREJECT=0"}
	ca := &CA{
		Name:         "pebble",
		DirectoryURL: "https://" + listen + "/dir",
		RootsFile:    rootsFile,
		Proc:         StartProc(t, "pebble", env, "pebble", "-config", cfgFile, "-dnsserver", opts.DNS),
	}
	mustReady(ctx, t, ca)
	issuanceRoot, err := httpsGet(ctx, "https://"+mgmt+"/roots/0", rootsFile)
	if err != nil {
		t.Fatalf("fetching pebble's root: %v", err)
	}
	writeFile(t, rootsFile, append(tlsRoot, issuanceRoot...))
	return ca
}

func writeJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatalf("encoding %s: %v", path, err)
	}
	writeFile(t, path, b)
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatalf("writing %s: %v", path, err)
	}
}
