package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/quarry-ca/quarry/client/store"
)

// Exit codes, documented in docs/mason.md.
const (
	exitOK      = 0
	exitFailed  = 1
	exitUsage   = 2
	exitLocked  = 3
	exitPartial = 4
)

// env is everything a command takes from the process, so tests can run
// commands in-process with their own clock, output and environment.
type env struct {
	stdout, stderr io.Writer
	// stdin answers --manual prompts; stdinTTY says a person is there.
	stdin    io.Reader
	stdinTTY bool
	getenv   func(string) string
	now      func() time.Time
	rand     *mrand.Rand
	euid     int
	// lockWait bounds the wait for another run's lock (default 30s).
	lockWait time.Duration
}

// defaultLockWait is how long a run waits for another to finish.
const defaultLockWait = 30 * time.Second

// lock takes the store's lock, waiting at most e.lockWait.
func (e env) lock(ctx context.Context, st *store.Store) (func() error, error) {
	wait := e.lockWait
	if wait == 0 {
		wait = defaultLockWait
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	return st.Lock(ctx)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var seed [16]byte
	_, _ = rand.Read(seed[:])
	e := env{
		stdout:   os.Stdout,
		stdin:    os.Stdin,
		stdinTTY: isTerminal(os.Stdin),
		stderr:   os.Stderr,
		getenv:   os.Getenv,
		now:      time.Now,
		rand:     mrand.New(mrand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:]))),
		euid:     os.Geteuid(),
	}
	code := run(ctx, e, os.Args[1:])
	stop()
	os.Exit(code)
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e env, args []string) int
}

func commands() []command {
	return []command{
		{"register", "create an ACME account", runRegister},
		{"certonly", "obtain a certificate and save it", runCertonly},
		{"renew", "renew certificates that are due", runRenew},
		{"revoke", "revoke a certificate", runRevoke},
		{"certificates", "list certificates", runCertificates},
		{"delete", "delete a certificate's files and renewal config", runDelete},
		{"account", "show, update, deactivate or roll over the account (subcommands)", runAccount},
		{"schedule", "install or remove a systemd timer or cron entry running renew", runSchedule},
	}
}

func run(ctx context.Context, e env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	fmt.Fprintf(e.stderr, "mason: unknown command %q; run 'mason help' for the list.\n", args[0])
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: mason COMMAND [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-13s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nrun 'mason COMMAND -h' for a command's flags.")
}

// isTerminal reports whether f is a character device, as a terminal is.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
