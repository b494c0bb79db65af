package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/internal/config"
	"github.com/quarry-ca/quarry/internal/loadgen"
	"github.com/quarry-ca/quarry/internal/server"
)

// TestRunAgainstQuarry runs the command as a user would, for a few flows
// against an in-process Quarry, and reads its JSON report.
func TestRunAgainstQuarry(t *testing.T) {
	ports := map[string]int{"http": freePort(t), "tls": freePort(t), "dns": freePort(t)}
	ctx, cancel := context.WithCancel(context.Background())
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Listen, cfg.HTTPListen = "127.0.0.1:0", "127.0.0.1:0"
	cfg.Preset = config.PresetDev
	cfg.VA.HTTPPort, cfg.VA.TLSPort = ports["http"], ports["tls"]
	cfg.VA.DNSResolver = hostPort(ports["dns"])
	cfg.VA.Timeout = config.Duration(5 * time.Second)
	srv, err := server.New(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("starting quarry: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("quarry shut down with %v", err)
		}
	}()

	var stdout, stderr bytes.Buffer
	args := []string{"--directory", srv.DirectoryURL(), "--roots", srv.RootsPath(),
		"--flows", "3", "--concurrency", "2", "--rate", "20", "--duration", "30s", "--json",
		"--http-listen", hostPort(ports["http"]), "--dns-listen", hostPort(ports["dns"])}
	if code := run(context.Background(), args, &stdout, &stderr); code != exitOK {
		t.Fatalf("got exit %d, want %d; stderr:\n%s\nstdout:\n%s", code, exitOK, stderr.String(), stdout.String())
	}
	var rep loadgen.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("decoding the JSON report: %v\n%s", err, stdout.String())
	}
	if rep.Succeeded != 3 || rep.Failed != 0 || rep.Rate != 20 || rep.Latency[loadgen.StepFlow].Count != 3 {
		t.Errorf("got %d succeeded, %d failed, rate %g, %d flow samples; want 3, 0, 20, 3",
			rep.Succeeded, rep.Failed, rep.Rate, rep.Latency[loadgen.StepFlow].Count)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func hostPort(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
