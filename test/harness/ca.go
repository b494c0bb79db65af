package harness

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"
	"time"
)

// CA is a running ACME server as the clients see it.
type CA struct {
	Name         string // "quarry" or "pebble"
	DirectoryURL string
	// RootsFile holds every root the clients need: the one behind the API's
	// TLS certificate and the ones issued chains end in.
	RootsFile string
	Proc      *Proc
}

// readyTimeout bounds a CA's start-up, key generation included.
const readyTimeout = 90 * time.Second

// waitDirectory polls until rootsFile exists and url serves an ACME
// directory over TLS trusted by it, or the process exits.
func waitDirectory(ctx context.Context, p *Proc, url, rootsFile string) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	var last error
	for {
		if last = fetchDirectory(ctx, url, rootsFile); last == nil {
			return nil
		}
		select {
		case <-p.Exited():
			return fmt.Errorf("%s exited before serving %s (exit: %v)", p.name, url, p.err)
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w (last: %v)", url, ctx.Err(), last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func fetchDirectory(ctx context.Context, url, rootsFile string) error {
	body, err := httpsGet(ctx, url, rootsFile)
	if err != nil {
		return err
	}
	var dir struct {
		NewNonce   string `json:"newNonce"`
		NewAccount string `json:"newAccount"`
		NewOrder   string `json:"newOrder"`
	}
	if err := json.Unmarshal(body, &dir); err != nil {
		return fmt.Errorf("decoding directory: %w", err)
	}
	if dir.NewNonce == "" || dir.NewAccount == "" || dir.NewOrder == "" {
		return fmt.Errorf("directory %s lacks newNonce, newAccount or newOrder: %s", url, body)
	}
	return nil
}

// httpsGet fetches url trusting only the roots in rootsFile.
func httpsGet(ctx context.Context, url, rootsFile string) ([]byte, error) {
	pem, err := os.ReadFile(rootsFile)
	if err != nil {
		return nil, fmt.Errorf("reading roots: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificates in %s", rootsFile)
	}
	return get(ctx, &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
	}, url)
}

// get fetches url with client and wants 200; it reads at most 10 MiB, more
// than any directory, root or CRL a suite fetches.
func get(ctx context.Context, client *http.Client, url string) ([]byte, error) {
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("building request: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 10<<20))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching %s: status %s", url, resp.Status)
	}
	return body, nil
}

// mustReady fails the test unless the CA comes up.
func mustReady(ctx context.Context, t testing.TB, ca *CA) {
	t.Helper()
	start := time.Now()
	if err := waitDirectory(ctx, ca.Proc, ca.DirectoryURL, ca.RootsFile); err != nil {
		t.Fatalf("%s did not come up: %v", ca.Name, err)
	}
	t.Logf("%s serves %s (ready in %v)", ca.Name, ca.DirectoryURL, time.Since(start).Round(time.Millisecond))
}
