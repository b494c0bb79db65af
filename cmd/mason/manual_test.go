package main

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuf is a stdout both mason and the test's operator read and write.
type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// operator is stdin played by a person: each time mason waits for Enter,
// it reads the last instructions mason printed, puts the file in place
// and presses Enter.
type operator struct {
	t       *testing.T
	stdout  *lockedBuf
	webroot string
	done    int
}

var instruction = regexp.MustCompile(`http://[^/]+/\.well-known/acme-challenge/([A-Za-z0-9_-]+)\n\nwith this content \(and nothing else\):\n\n  (\S+)\n`)

func (op *operator) Read(p []byte) (int, error) {
	all := instruction.FindAllStringSubmatch(op.stdout.String(), -1)
	if len(all) <= op.done {
		op.t.Errorf("got a wait for Enter without new instructions:\n%s", op.stdout.String())
		return 0, os.ErrClosed
	}
	m := all[op.done]
	op.done++
	dir := filepath.Join(op.webroot, ".well-known", "acme-challenge")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	if err := os.WriteFile(filepath.Join(dir, m[1]), []byte(m[2]), 0o644); err != nil {
		return 0, err
	}
	return copy(p, "\n"), nil
}

func TestManualInteractive(t *testing.T) {
	q := startQuarry(t)
	webroot := t.TempDir()
	defer q.serveWebroot(t, webroot)()
	dir := filepath.Join(t.TempDir(), "mason")
	var stdout lockedBuf
	var stderr bytes.Buffer
	e := env{
		stdout: &stdout, stderr: &stderr, getenv: os.Getenv, now: time.Now,
		rand: rand.New(rand.NewPCG(1, 2)), euid: 1000, stdinTTY: true,
	}
	op := &operator{t: t, stdout: &stdout, webroot: webroot}
	e.stdin = op
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := run(ctx, e, []string{"certonly", "--config-dir", dir, "--server", q.srv.DirectoryURL(), "--ca-bundle", q.roots,
		"--agree-tos", "-d", "i1.quarry.test", "-d", "i2.quarry.test", "--manual"})
	if code != exitOK {
		t.Fatalf("got exit %d %s, want 0; output:\n%s", code, stderr.String(), stdout.String())
	}
	if op.done != 2 || strings.Count(stdout.String(), "Press Enter") != 2 {
		t.Errorf("got %d instructions followed, want one per name:\n%s", op.done, stdout.String())
	}
	r := &runner{t: t, q: q, dir: dir}
	checkLineage(t, r, "i1.quarry.test", []string{"i1.quarry.test", "i2.quarry.test"})
	// Renewal runs unattended, so a lineage without an auth hook says so.
	code, _, errOut := r.run("renew", "--cert-name", "i1.quarry.test", "--force-renewal")
	if code != exitFailed || !strings.Contains(errOut, "--manual-auth-hook") {
		t.Errorf("got renew exit %d %q, want 1 naming --manual-auth-hook", code, errOut)
	}
}
