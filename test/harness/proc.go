package harness

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// stopTimeout is how long a process gets to exit after SIGTERM.
const stopTimeout = 10 * time.Second

// logTail bounds how much of a process's output a failure report shows.
const logTail = 64 << 10

// Proc is a background process whose output is kept for failure reports.
type Proc struct {
	name string
	cmd  *exec.Cmd
	out  *lockedBuffer
	done chan struct{}
	err  error // the result of Wait; read only after done is closed

	stopOnce sync.Once
	stopErr  error
}

// StartProc starts argv with env added to this process's environment. It
// is stopped (SIGTERM, then SIGKILL) when the test ends, and its output is
// logged if the test failed.
func StartProc(t testing.TB, name string, env []string, argv ...string) *Proc {
	t.Helper()
	p := &Proc{name: name, out: &lockedBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(argv[0], argv[1:]...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	t.Logf("$ %s &", CommandLine(env, argv))
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if err := p.Stop(); err != nil {
			t.Logf("%s: %v", name, err)
		}
		if t.Failed() {
			t.Logf("---- %s output ----\n%s", name, tail(p.Output(), logTail))
		}
	})
	return p
}

// Output is everything the process wrote to stdout and stderr so far.
func (p *Proc) Output() string { return p.out.String() }

// Exited is closed once the process has exited.
func (p *Proc) Exited() <-chan struct{} { return p.done }

// Stop sends SIGTERM, waits stopTimeout, then kills. It returns the exit
// error: nil when the process exited cleanly on SIGTERM. Later calls return
// the first call's result.
func (p *Proc) Stop() error {
	p.stopOnce.Do(func() { p.stopErr = p.stop() })
	return p.stopErr
}

func (p *Proc) stop() error {
	select {
	case <-p.done:
		return p.exitErr("had already exited")
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.exitErr("on SIGTERM")
	case <-time.After(stopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s ignored SIGTERM for %v and was killed", p.name, stopTimeout)
	}
}

// Kill ends the process at once with SIGKILL, as a crash would, and waits
// for it; a later Stop reports that it had already exited.
func (p *Proc) Kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

func (p *Proc) exitErr(when string) error {
	if p.err != nil {
		return fmt.Errorf("%s exited %s: %w", p.name, when, p.err)
	}
	return nil
}

// Run runs argv to completion with env added, logging its command line and
// returning its combined output.
func Run(ctx context.Context, t testing.TB, env []string, argv ...string) (string, error) {
	t.Helper()
	t.Logf("$ %s", CommandLine(env, argv))
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = stopTimeout
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s: %w", argv[0], err)
	}
	return string(out), nil
}

// MustRun is Run that fails the test, showing the output, on any error.
func MustRun(ctx context.Context, t testing.TB, env []string, argv ...string) string {
	t.Helper()
	out, err := Run(ctx, t, env, argv...)
	if err != nil {
		t.Fatalf("%v\n---- output ----\n%s", err, tail(out, logTail))
	}
	return out
}

// CommandLine renders env and argv as one shell line that can be pasted.
func CommandLine(env, argv []string) string {
	parts := make([]string, 0, len(env)+len(argv))
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		parts = append(parts, k+"="+shellQuote(v))
	}
	for _, a := range argv {
		parts = append(parts, shellQuote(a))
	}
	return strings.Join(parts, " ")
}

func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// lockedBuffer lets a process write while a test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
